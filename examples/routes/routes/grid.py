"""A street grid with closed blocks, and searches over it."""


def make_grid(width, height, closed):
    """Adjacency lists of a ``width`` x ``height`` grid; ``closed`` cells have no streets."""
    graph = {}
    for x in range(width):
        for y in range(height):
            if (x, y) in closed:
                continue
            neighbours = []
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                nx, ny = x + dx, y + dy
                if 0 <= nx < width and 0 <= ny < height and (nx, ny) not in closed:
                    neighbours.append((nx, ny))
            graph[(x, y)] = neighbours
    return graph


def reachable(graph, start):
    """Every node reachable from ``start``, in breadth-first order."""
    order = []
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node in order:
            continue
        order.append(node)
        queue.extend(graph[node])
    return order


def distances(graph, start):
    """Number of streets from ``start`` to every reachable node."""
    dist = {start: 0}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph[node]:
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


def lattice_routes(right, down):
    """Monotone routes (only right or down) across a block of ``right`` x ``down`` streets."""
    if right == 0 or down == 0:
        return 1
    return lattice_routes(right - 1, down) + lattice_routes(right, down - 1)
