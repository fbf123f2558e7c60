import unittest

from routes.grid import distances, lattice_routes, make_grid, reachable


class GridTests(unittest.TestCase):
    def setUp(self):
        self.graph = make_grid(3, 3, {(1, 1)})

    def test_make_grid_skips_closed_cells(self):
        self.assertNotIn((1, 1), self.graph)
        self.assertEqual(self.graph[(0, 0)], [(1, 0), (0, 1)])

    def test_reachable_breadth_first_order(self):
        self.assertEqual(reachable(self.graph, (0, 0))[:3], [(0, 0), (1, 0), (0, 1)])
        self.assertEqual(len(reachable(self.graph, (0, 0))), 8)

    def test_distances(self):
        dist = distances(self.graph, (0, 0))
        self.assertEqual(dist[(2, 2)], 4)
        self.assertEqual(dist[(0, 0)], 0)

    def test_lattice_routes(self):
        self.assertEqual(lattice_routes(2, 2), 6)
        self.assertEqual(lattice_routes(0, 5), 1)
        self.assertEqual(lattice_routes(3, 4), 35)


if __name__ == "__main__":
    unittest.main()
