"""A realistic run: distances and reachability across a city grid, and route counts."""

from routes.grid import distances, lattice_routes, make_grid, reachable


def main():
    closed = {(x, y) for x in range(5, 70, 7) for y in range(3, 70) if y % 11 != 0}
    graph = make_grid(70, 70, closed)
    dist = distances(graph, (0, 0))
    order = reachable(graph, (0, 0))
    print("nodes:", len(graph))
    print("reachable:", len(order), order[:4])
    print("farthest:", max(dist.values()))
    print("routes 11x10:", lattice_routes(11, 10))


if __name__ == "__main__":
    main()
