"""A delivered, paid order of lamps through the sales API: the scene every return test starts from."""

from __future__ import annotations

from typing import Any


def deliver_paid_lamps(api: Any, make_customer: Any, quantity: str = "2") -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Sara's order of `quantity` lamps at 3,000 IRR (+ 10 % VAT), invoiced, paid in full, shipped
    and delivered: (order, invoice, customer)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    lamp = api.post("sales/products", json={"sku": "LAMP", "name": "Lamp"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{lamp['id']}", json={"unit_price": "3000"})
    customer = make_customer(given_name="Sara")
    order = api.post("sales/orders", json={"customer_id": customer.id,
                                           "lines": [{"product_id": lamp["id"], "quantity": quantity}]}).get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    paid = api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": invoice["total"]})
    assert paid.status_code == 201, paid.get_json()
    for status in ("shipped", "delivered"):
        moved = api.post(f"sales/orders/{order['id']}/status", json={"status": status})
        assert moved.status_code == 200, moved.get_json()
    return order, invoice, customer
