"""Cross-object predicates in validation rules, answered with SQL in the save's transaction."""

from __future__ import annotations

from tests.conftest import Api

OVERLAP = (
    "is_exclusive and is_active and EXISTS_RECORD('dealer_authorization', {"
    "'dealer': dealer, 'is_exclusive': True, 'is_active': True, "
    "'start_date': {'lte': end_date}, 'end_date': {'gte': start_date}, 'id': {'ne': id}})"
)


def test_no_two_active_exclusive_authorizations_of_a_dealer_overlap(api: Api) -> None:
    assert (
        api.post(
            "/admin/objects",
            json={
                "api_name": "dealer",
                "fields": [
                    {"api_name": "name", "type": "text"},
                ],
            },
        ).status_code
        == 201
    )
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "dealer_authorization",
            "fields": [
                {"api_name": "dealer", "type": "lookup", "target": "dealer", "indexed": True},
                {"api_name": "is_exclusive", "type": "boolean", "default": False},
                {"api_name": "is_active", "type": "boolean", "default": True},
                {"api_name": "start_date", "type": "date", "required": True},
                {"api_name": "end_date", "type": "date", "required": True},
            ],
            "validation_rules": [
                {
                    "api_name": "no_overlap",
                    "expression": OVERLAP,
                    "message": "this dealer already has an exclusive authorization for these dates",
                    "field": "start_date",
                }
            ],
        },
    )
    assert created.status_code == 201, created.json()["errors"]
    dealer = api.post("/data/dealer", json={"name": "North"}).json()["id"]
    other = api.post("/data/dealer", json={"name": "South"}).json()["id"]

    def authorize(dealer_id: str, start: str, end: str, **extra: object) -> object:
        body = {"dealer": dealer_id, "is_exclusive": True, "start_date": start, "end_date": end}
        return api.post("/data/dealer_authorization", json={**body, **extra})

    first = authorize(dealer, "2026-01-01", "2026-06-30")
    assert first.status_code == 201, first.json()["errors"]
    clash = authorize(dealer, "2026-06-01", "2026-12-31")
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["rule"] == "no_overlap"
    assert clash.json()["errors"][0]["pointer"] == "/start_date"
    assert authorize(dealer, "2026-07-01", "2026-12-31").status_code == 201
    assert authorize(other, "2026-06-01", "2026-12-31").status_code == 201
    assert authorize(dealer, "2026-03-01", "2026-03-31", is_exclusive=False).status_code == 201
    # Updating a record does not clash with itself.
    moved = api.patch(
        f"/data/dealer_authorization/{first.json()['id']}", json={"end_date": "2026-06-15"}
    )
    assert moved.status_code == 200, moved.json()


FIRST_INVOICE = (
    "sequence > 1 and FETCH_VALUE('invoice', 'buyer', {'batch': batch, 'sequence': 1}) != seller"
)


def test_a_later_invoice_must_follow_the_first_of_its_batch(api: Api) -> None:
    """Two-invoice rule: the distributor's sale follows the manufacturer's sale to it."""
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "invoice",
            "fields": [
                {"api_name": "batch", "type": "text", "indexed": True},
                {"api_name": "sequence", "type": "integer"},
                {"api_name": "seller", "type": "text"},
                {"api_name": "buyer", "type": "text"},
                {
                    "api_name": "batch_total",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "COUNT_RECORDS('invoice', {'batch': batch})",
                },
            ],
            "validation_rules": [
                {
                    "api_name": "follows_first_invoice",
                    "expression": FIRST_INVOICE,
                    "message": "the first invoice of the batch must be sold to this seller",
                }
            ],
        },
    )
    assert created.status_code == 201, created.json()["errors"]
    orphan = api.post(
        "/data/invoice", json={"batch": "B1", "sequence": 2, "seller": "Dist", "buyer": "Hosp"}
    )
    assert orphan.status_code == 422
    assert orphan.json()["errors"][0]["pointer"] == ""
    first = api.post(
        "/data/invoice", json={"batch": "B1", "sequence": 1, "seller": "Maker", "buyer": "Dist"}
    )
    assert first.status_code == 201, first.json()["errors"]
    wrong = api.post(
        "/data/invoice", json={"batch": "B1", "sequence": 2, "seller": "Other", "buyer": "Hosp"}
    )
    assert wrong.status_code == 422
    second = api.post(
        "/data/invoice", json={"batch": "B1", "sequence": 2, "seller": "Dist", "buyer": "Hosp"}
    )
    assert second.status_code == 201, second.json()
    assert second.json()["batch_total"] == 1


def test_cross_object_functions_are_checked_when_saved(api: Api) -> None:
    api.post(
        "/admin/objects",
        json={
            "api_name": "invoice",
            "fields": [
                {"api_name": "batch", "type": "text"},
            ],
        },
    )
    response = api.post(
        "/admin/objects/invoice/validation-rules",
        json={
            "api_name": "bad",
            "expression": "COUNT_RECORDS('invoices', {'bach': batch}) > 1",
            "message": "m",
        },
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["unknown-object"]
    response = api.post(
        "/admin/objects/invoice/validation-rules",
        json={
            "api_name": "bad",
            "expression": "COUNT_RECORDS('invoice', {'bach': batch}) > 1",
            "message": "m",
        },
    )
    assert response.status_code == 422
    assert "did you mean 'batch'" in response.json()["errors"][0]["message"]
