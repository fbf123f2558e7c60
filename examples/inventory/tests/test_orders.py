import unittest

from inventory.orders import (
    cheapest,
    invoice,
    load_orders,
    log_prices,
    orders_by_customer,
    running_totals,
    sku_counts,
    watched_ids,
)

LINES = [
    "1,ann,sku1,toys,2,3.50",
    "2,bob,sku2,books,1,12.00",
    "3,ann,sku2,books,3,12.00",
    "4,cid,sku3,music,1,0.99",
    "5,bob,sku1,toys,5,3.50",
    "6,ann,sku4,tools,1,0.99",
]


class OrderTests(unittest.TestCase):
    def setUp(self):
        self.orders = load_orders(LINES)

    def test_load(self):
        self.assertEqual(self.orders[0], (1, "ann", "sku1", "toys", 2, 3.5))
        self.assertEqual(len(self.orders), 6)
        self.assertIsInstance(self.orders, list)
        self.assertEqual(load_orders([]), [])

    def test_group_by_customer(self):
        grouped = orders_by_customer(self.orders, ["ann", "bob", "dan"])
        self.assertEqual([o[0] for o in grouped["ann"]], [1, 3, 6])
        self.assertEqual([o[0] for o in grouped["bob"]], [2, 5])
        self.assertEqual(grouped["dan"], [])
        self.assertEqual(list(grouped), ["ann", "bob", "dan"])
        grouped["bob"].append("x")
        self.assertEqual(len(orders_by_customer(self.orders, ["bob"])["bob"]), 2)

    def test_sku_counts(self):
        counts = sku_counts(self.orders)
        self.assertEqual(counts, {"sku1": 2, "sku2": 2, "sku3": 1, "sku4": 1})
        self.assertIs(type(counts), dict)
        self.assertEqual(list(counts), ["sku1", "sku2", "sku3", "sku4"])

    def test_watched(self):
        self.assertEqual(watched_ids(self.orders), [1, 4, 5])

    def test_cheapest_is_the_first_on_ties(self):
        self.assertEqual(cheapest(self.orders)[0], 4)
        with self.assertRaises(IndexError):
            cheapest([])

    def test_running_totals(self):
        self.assertEqual(running_totals(self.orders, 2), [19.0, 36.99, 18.49])
        self.assertEqual(running_totals(self.orders, 4), [55.99])
        self.assertEqual(running_totals([], 3), [])

    def test_log_prices(self):
        self.assertAlmostEqual(log_prices(self.orders)[0], 1.5040774, places=6)

    def test_invoice(self):
        text = invoice(self.orders, "bob")
        self.assertEqual(text.splitlines()[-1], "TOTAL 29.50")
        self.assertEqual(len(text.splitlines()), 3)
        self.assertEqual(invoice(self.orders, "nobody"), "TOTAL 0.00\n")


if __name__ == "__main__":
    unittest.main()
