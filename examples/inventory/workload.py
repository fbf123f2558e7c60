"""A realistic run: a day of orders parsed, grouped, counted and reported."""

import random

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

CATEGORIES = ["tools", "garden", "kitchen", "toys", "books", "music", "sports", "office"]


def order_lines(seed=3, orders=8000, customers=1500, skus=900):
    rng = random.Random(seed)
    names = [f"cust{i:04d}" for i in range(customers)]
    who = rng.choices(names, k=orders)
    what = rng.choices(range(skus), k=orders)
    lines = []
    for i in range(orders):
        sku = what[i]
        lines.append(f"{i},{who[i]},sku{sku:04d},{CATEGORIES[sku % len(CATEGORIES)]},"
                     f"{1 + i % 9},{0.5 + (i * 7919 % 25000) / 100:.2f}")
    return names, lines


def main():
    names, lines = order_lines()
    orders = load_orders(lines)
    grouped = orders_by_customer(orders, names)
    counts = sku_counts(orders)
    busiest = max(grouped, key=lambda name: len(grouped[name]))
    print("orders:", len(orders), "customers:", len(grouped), "busiest:", busiest, len(grouped[busiest]))
    print("skus:", len(counts), "most ordered:", max(counts.items(), key=lambda kv: kv[1]))
    print("watched:", len(watched_ids(orders)))
    print("cheapest:", cheapest(orders))
    print("runs:", running_totals(orders, 50)[:3])
    print("mean log price: %.4f" % (sum(log_prices(orders)) / len(orders)))
    text = "".join(invoice(orders, name) for name in names[:40])
    print("invoice lines:", text.count("\n"))


if __name__ == "__main__":
    main()
