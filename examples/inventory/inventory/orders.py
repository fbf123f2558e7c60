"""Orders: parsing, grouping, counting and reports.

An order is a tuple ``(id, customer, sku, category, quantity, unit_price)``.
"""

import math

WATCHED = ("toys", "music", "garden")


def load_orders(lines):
    """Parse lines ``id,customer,sku,category,quantity,unit_price`` into order tuples."""
    orders = []
    for line in lines:
        f = line.split(",")
        orders = orders + [(int(f[0]), f[1], f[2], f[3], int(f[4]), float(f[5]))]
    return orders


def orders_by_customer(orders, customers):
    """Each customer's orders, in the order they were placed."""
    rows = list(orders)
    grouped = {}
    for name in customers:
        grouped[name] = [o for o in rows if o[1] == name]
    return grouped


def sku_counts(orders):
    """How many order lines mention each SKU."""
    skus = [o[2] for o in orders]
    counts = {}
    for sku in skus:
        if sku in counts:
            counts[sku] += 1
        else:
            counts[sku] = 1
    return counts


def watched_ids(orders):
    """Ids of the orders in a watched category."""
    return [o[0] for o in orders if o[3] in set(WATCHED)]


def cheapest(orders):
    """The order with the lowest unit price (the earliest one on ties)."""
    return sorted(orders, key=lambda o: o[5])[0]


def running_totals(orders, every):
    """The total value of each run of ``every`` consecutive orders."""
    amounts = [o[4] * o[5] for o in orders]
    totals = []
    run = 0.0
    for i in range(len(amounts)):
        run += amounts[i]
        if i % every == every - 1:
            totals.append(round(run, 2))
            run = 0.0
    return totals


def log_prices(orders):
    """``log(1 + unit price)`` of every order, for a price histogram."""
    logs = []
    for o in orders:
        logs.append(math.log1p(o[5]))
    return logs


def invoice(orders, customer):
    """A plain-text invoice of one customer's orders."""
    text = ""
    total = 0.0
    for o in orders:
        if o[1] == customer:
            text += f"{o[0]:>6} {o[2]:<8} {o[4]:>3} x {o[5]:8.2f}\n"
            total += o[4] * o[5]
    text += f"TOTAL {total:.2f}\n"
    return text
