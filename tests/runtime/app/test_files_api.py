"""The files endpoint of the data API: upload, download and remove a record's file.

Every test runs on SQLite and PostgreSQL; the store is a local folder of the test's own,
and an S3-compatible server for the end-to-end test of that store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import unquote

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from engine.context import EngineContext
from engine.files import FileStorage, tenant_prefix
from engine.files.s3_storage import S3FileStorage
from runtime.app import create_app
from runtime.app.file_routes import FILE_PATH
from runtime.app.size_limits import UPLOAD_PATH, SizeLimits
from tests.conftest import Api, TenantHandle, drop_tenant_schema, make_tenant
from tests.engine.files.samples import EXE, PDF, PNG

LICENCE = {
    "api_name": "licence",
    "fields": [
        {"api_name": "number", "type": "text"},
        {
            "api_name": "scan",
            "type": "file",
            "max_size": 64 * 1024,
            "accept": ["application/pdf", "image/*"],
        },
        {"api_name": "notes", "type": "file"},
    ],
}


@pytest.fixture
def licences(api: Api) -> Api:
    assert api.post("/admin/objects", json=LICENCE).status_code == 201
    return api


def new_licence(api: Api) -> dict:
    response = api.post("/data/licence", json={"number": "L-1"})
    assert response.status_code == 201
    return response.json()


def upload(
    api: Api,
    record_id: str,
    content: bytes = PDF,
    *,
    name: str = "licence.pdf",
    declared: str = "application/pdf",
    field: str = "scan",
    headers: dict[str, str] | None = None,
):
    return api.post(
        f"/data/licence/{record_id}/files/{field}",
        files={"file": (name, content, declared)},
        headers=headers,
    )


def blobs(api: Api) -> list[str]:
    storage = api.tenant.engine.files
    return [blob.key for blob in storage.list(tenant_prefix(api.tenant.context().tenant.id))]


# -- upload and download -------------------------------------------------------------------


def test_an_uploaded_file_is_in_the_record_and_downloads_exactly(licences: Api) -> None:
    record = new_licence(licences)
    response = upload(licences, record["id"], PDF, name="营业执照 2024.pdf")
    assert response.status_code == 200
    updated = response.json()
    assert response.headers["ETag"] == '"2"'
    assert updated["version"] == 2
    assert updated["scan"]["name"] == "营业执照 2024.pdf"
    assert updated["scan"]["size"] == len(PDF)
    assert updated["scan"]["content_type"] == "application/pdf"
    assert updated["scan"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert "blob" not in updated["scan"]
    assert licences.get(f"/data/licence/{record['id']}").json()["scan"] == updated["scan"]

    download = licences.get(f"/data/licence/{record['id']}/files/scan")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(len(PDF))
    assert download.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "营业执照 2024.pdf"


def test_a_download_the_client_holds_is_not_sent_again(licences: Api) -> None:
    record = new_licence(licences)
    upload(licences, record["id"])
    etag = f'"{hashlib.sha256(PDF).hexdigest()}"'
    response = licences.get(
        f"/data/licence/{record['id']}/files/scan", headers={"If-None-Match": etag}
    )
    assert (response.status_code, response.content) == (304, b"")


def test_only_safe_images_are_shown_inline(licences: Api) -> None:
    record = new_licence(licences)
    upload(licences, record["id"], PNG, name="scan.png", declared="image/png")
    upload(licences, record["id"], PDF, field="notes")
    image = licences.get(f"/data/licence/{record['id']}/files/scan?disposition=inline")
    assert image.headers["Content-Disposition"].startswith("inline; ")
    other = licences.get(f"/data/licence/{record['id']}/files/notes?disposition=inline")
    assert other.headers["Content-Disposition"].startswith("attachment; ")


def test_a_file_name_cannot_name_a_folder_nor_hold_control_characters(licences: Api) -> None:
    record = new_licence(licences)
    response = upload(licences, record["id"], name="..\\..\\Windows\\evil.pdf")
    assert response.json()["scan"]["name"] == "evil.pdf"
    # Sent as raw bytes: a client library would escape the control character itself.
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="../etc/pass\x07wd.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--b0undary--\r\n"
    )
    raw = licences.post(
        f"/data/licence/{record['id']}/files/scan",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert raw.status_code == 200
    assert raw.json()["scan"]["name"] == "passwd.pdf"


def test_a_replaced_file_leaves_only_the_new_one_in_the_store(licences: Api) -> None:
    record = new_licence(licences)
    upload(licences, record["id"], PDF)
    response = upload(licences, record["id"], PNG, name="scan.png", declared="image/png")
    assert response.json()["scan"]["content_type"] == "image/png"
    assert len(blobs(licences)) == 1
    assert licences.get(f"/data/licence/{record['id']}/files/scan").content == PNG


def test_removing_a_file_answers_the_record_without_it(licences: Api) -> None:
    record = new_licence(licences)
    upload(licences, record["id"])
    response = licences.delete(f"/data/licence/{record['id']}/files/scan")
    assert response.status_code == 200
    assert (response.json()["scan"], response.json()["version"]) == (None, 3)
    assert blobs(licences) == []
    for method in ("GET", "DELETE"):
        gone = licences.request(method, f"/data/licence/{record['id']}/files/scan")
        assert gone.status_code == 404, method
        assert "has no file" in gone.json()["detail"]


def test_deleting_the_record_removes_its_files(licences: Api) -> None:
    record = new_licence(licences)
    upload(licences, record["id"])
    upload(licences, record["id"], field="notes")
    assert licences.delete(f"/data/licence/{record['id']}").status_code == 204
    assert blobs(licences) == []


# -- limits, by content --------------------------------------------------------------------


def test_a_file_over_max_size_is_413_naming_the_limit_and_leaves_nothing(licences: Api) -> None:
    record = new_licence(licences)
    response = upload(licences, record["id"], PDF + b"\0" * 70_000)
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/file-too-large"
    assert "65536 bytes (its max_size)" in response.json()["detail"]
    assert blobs(licences) == []
    assert licences.get(f"/data/licence/{record['id']}").json()["version"] == 1


def test_content_not_accepted_is_415_whatever_its_name_says(licences: Api) -> None:
    record = new_licence(licences)
    response = upload(licences, record["id"], EXE, name="invoice.pdf", declared="application/pdf")
    assert response.status_code == 415
    problem = response.json()
    assert problem["type"] == "/problems/file-type-not-accepted"
    assert problem["content_type"] == "application/vnd.microsoft.portable-executable"
    assert problem["accept"] == ["application/pdf", "image/*"]
    assert blobs(licences) == []


def test_a_body_that_is_not_multipart_is_415(licences: Api) -> None:
    record = new_licence(licences)
    response = licences.post(f"/data/licence/{record['id']}/files/scan", json={"file": "x"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


@pytest.mark.parametrize(
    ("files", "data", "says"),
    [
        ({"document": ("a.pdf", PDF, "application/pdf")}, None, "named 'document'"),
        ({"file": ("a.pdf", PDF, "application/pdf")}, {"note": "x"}, "named 'note'"),
    ],
)
def test_a_body_without_exactly_one_part_named_file_is_422(
    licences: Api, files: dict | None, data: dict | None, says: str
) -> None:
    record = new_licence(licences)
    response = licences.post(f"/data/licence/{record['id']}/files/scan", files=files, data=data)
    assert response.status_code == 422
    assert says in response.json()["detail"]
    assert blobs(licences) == []


def test_a_second_part_after_the_file_is_422_and_leaves_nothing(licences: Api) -> None:
    record = new_licence(licences)
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        + PDF
        + b'\r\n--b0undary\r\nContent-Disposition: form-data; name="file"; filename="b.pdf"'
        + b"\r\n\r\n"
        + PDF
        + b"\r\n--b0undary--\r\n"
    )
    response = licences.post(
        f"/data/licence/{record['id']}/files/scan",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 422
    assert "one part only" in response.json()["detail"]
    assert blobs(licences) == []


def test_an_empty_file_is_422(licences: Api) -> None:
    record = new_licence(licences)
    response = upload(licences, record["id"], b"")
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


def test_uploads_may_exceed_the_body_limit_of_other_requests(
    engine_context: EngineContext, tenant: TenantHandle
) -> None:
    limits = SizeLimits(max_body_bytes=16 * 1024)
    with TestClient(create_app(engine_context, limits=limits)) as client:
        api = Api(client=client, tenant=tenant)
        assert api.post("/admin/objects", json=LICENCE).status_code == 201
        record = new_licence(api)
        big_pdf = PDF + b"\0" * 40_000
        assert upload(api, record["id"], big_pdf).status_code == 200
        bulk = api.post("/data/licence/bulk", json=[{"number": "x" * 200}] * 100)
        assert bulk.status_code == 413
        assert "TESSERA_MAX_BODY_BYTES" in bulk.json()["detail"]


def test_the_server_ceiling_caps_a_larger_max_size(
    engine_context: EngineContext, tenant: TenantHandle
) -> None:
    small = replace(engine_context, max_file_bytes=2048)
    with TestClient(create_app(small)) as client:
        api = Api(client=client, tenant=tenant)
        assert api.post("/admin/objects", json=LICENCE).status_code == 201
        record = new_licence(api)
        response = upload(api, record["id"], PDF + b"\0" * 4096)
        assert response.status_code == 413
        assert "2048 bytes (the server's TESSERA_MAX_FILE_BYTES)" in response.json()["detail"]
        # Far past the ceiling, the body is refused before the route reads it.
        huge = upload(api, record["id"], PDF + b"\0" * 200_000)
        assert huge.status_code == 413
        assert "TESSERA_MAX_FILE_BYTES" in huge.json()["detail"]


def test_the_size_limit_knows_the_upload_route() -> None:
    path = "/api/v1/data" + FILE_PATH.format(object_name="o", record_id="r", field_name="f")
    assert UPLOAD_PATH.fullmatch(path)
    assert not UPLOAD_PATH.fullmatch("/api/v1/data/o/bulk")


# -- writes like any update ----------------------------------------------------------------


def test_if_match_is_honoured_on_upload_and_removal(licences: Api) -> None:
    record = new_licence(licences)
    stale = upload(licences, record["id"], headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    assert upload(licences, record["id"], headers={"If-Match": '"1"'}).status_code == 200
    path = f"/data/licence/{record['id']}/files/scan"
    assert licences.delete(path, headers={"If-Match": '"1"'}).status_code == 412
    assert licences.delete(path, headers={"If-Match": '"2"'}).status_code == 200
    assert blobs(licences) == []


def test_an_upload_a_validation_rule_refuses_leaves_nothing_in_the_store(licences: Api) -> None:
    rule = {
        "api_name": "no_scan_for_drafts",
        "expression": "number == 'draft' and not ISBLANK(scan)",
        "message": "drafts take no scan",
        "field": "scan",
    }
    assert licences.post("/admin/objects/licence/validation-rules", json=rule).status_code == 201
    record = licences.post("/data/licence", json={"number": "draft"}).json()
    response = upload(licences, record["id"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "no_scan_for_drafts"
    assert blobs(licences) == []
    assert licences.get(f"/data/licence/{record['id']}").json()["scan"] is None


@pytest.mark.parametrize("value", [None, {"name": "a.pdf"}, "a.pdf"])
def test_a_file_field_is_read_only_in_record_bodies(licences: Api, value: object) -> None:
    created = licences.post("/data/licence", json={"number": "L", "scan": value})
    assert created.status_code == 422
    [problem] = created.json()["errors"]
    assert (problem["field"], problem["code"]) == ("scan", "read-only")
    assert "POST /api/v1/data/licence/{id}/files/scan" in problem["message"]
    record = new_licence(licences)
    patched = licences.patch(f"/data/licence/{record['id']}", json={"scan": value})
    assert patched.status_code == 422
    bulk = licences.post("/data/licence/bulk", json=[{"number": "B", "scan": value}])
    assert bulk.status_code == 422
    assert bulk.json()["errors"][0]["code"] == "read-only"


# -- where a file may not go ---------------------------------------------------------------


def test_unknown_records_fields_and_other_types_are_refused_before_the_body_is_read(
    licences: Api,
) -> None:
    record = new_licence(licences)
    missing = "01900000-0000-7000-8000-000000000000"
    assert upload(licences, missing).status_code == 404
    assert upload(licences, "not-an-id").status_code == 404
    assert upload(licences, record["id"], field="nope").status_code == 404
    wrong = upload(licences, record["id"], field="number")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["code"] == "not-a-file-field"
    assert licences.get(f"/data/licence/{missing}/files/scan").status_code == 404
    assert blobs(licences) == []


def test_another_tenant_can_never_reach_a_file(
    app_client: TestClient, engine_context: EngineContext
) -> None:
    alpha, beta = make_tenant(engine_context, "a"), make_tenant(engine_context, "b")
    try:
        owner, intruder = Api(app_client, alpha), Api(app_client, beta)
        for api in (owner, intruder):
            assert api.post("/admin/objects", json=LICENCE).status_code == 201
        record = new_licence(owner)
        upload(owner, record["id"])
        path = f"/data/licence/{record['id']}/files/scan"
        # The same object and field names, the owner's record id: still not there.
        assert intruder.get(path).status_code == 404
        assert intruder.delete(path).status_code == 404
        assert upload(intruder, record["id"]).status_code == 404
        theirs = new_licence(intruder)
        upload(intruder, theirs["id"], PNG, declared="image/png")
        assert owner.get(path).content == PDF
        assert intruder.get(f"/data/licence/{theirs['id']}/files/scan").content == PNG
        assert len(blobs(owner)) == len(blobs(intruder)) == 1
        assert not set(blobs(owner)) & set(blobs(intruder))
    finally:
        drop_tenant_schema(engine_context, alpha.name)
        drop_tenant_schema(engine_context, beta.name)


# -- queries, schemas, documents -----------------------------------------------------------


def test_file_fields_are_filtered_with_is_null_and_not_sorted(licences: Api) -> None:
    with_scan, without = new_licence(licences), new_licence(licences)
    upload(licences, with_scan["id"])
    found = licences.get('/data/licence?filter={"scan": {"is_null": false}}').json()["data"]
    assert [r["id"] for r in found] == [with_scan["id"]]
    empty = licences.get('/data/licence?filter={"scan": {"is_null": true}}').json()["data"]
    assert [r["id"] for r in empty] == [without["id"]]
    refused = licences.get('/data/licence?filter={"scan": {"eq": "licence.pdf"}}')
    assert refused.status_code == 422
    assert "is_null only" in refused.json()["errors"][0]["message"]
    assert licences.get("/data/licence?sort=scan").status_code == 422
    assert licences.get("/data/licence/aggregate?group_by=scan").status_code == 422
    counted = licences.get("/data/licence/aggregate?metrics=count:scan").json()
    assert counted["data"][0]["count:scan"] == 1


def test_the_record_schema_describes_a_file_and_the_input_schema_leaves_it_out(
    licences: Api,
) -> None:
    schema = licences.get("/schema/licence").json()
    assert "scan" not in schema["properties"]
    record_schema = schema["$defs"]["record"]
    assert record_schema["properties"]["scan"]["readOnly"] is True
    record = new_licence(licences)
    updated = upload(licences, record["id"]).json()
    validator = jsonschema.Draft202012Validator(
        record_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert validator.is_valid(updated)
    assert validator.is_valid(record)


def test_openapi_lists_the_file_operations_of_objects_with_file_fields(licences: Api) -> None:
    document = licences.client.get("/openapi.json", headers=licences.tenant.headers).json()
    validate(document)
    operations = document["paths"]["/api/v1/data/licence/{id}/files/{field}"]
    assert set(operations) == {"post", "get", "delete"}
    field = next(p for p in operations["post"]["parameters"] if p["name"] == "field")
    assert field["schema"]["enum"] == ["scan", "notes"]
    assert "multipart/form-data" in operations["post"]["requestBody"]["content"]


def test_a_file_field_says_why_it_cannot_be_required(licences: Api) -> None:
    response = licences.post(
        "/admin/objects/licence/fields",
        json={"api_name": "permit", "type": "file", "required": True},
    )
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["pointer"] == "/required"
    assert "validation rule" in problem["message"]
    field = licences.get("/admin/objects/licence/fields/notes").json()
    assert field["max_size"] == 10 * 1024 * 1024
    converted = licences.patch("/admin/objects/licence/fields/notes", json={"type": "text"})
    assert converted.status_code == 422
    assert converted.json()["errors"][0]["code"] == "unsupported-conversion"


# -- the S3-compatible store, end to end ---------------------------------------------------


@pytest.fixture
def s3_api(
    engine_context: EngineContext, tenant: TenantHandle, s3_storage: S3FileStorage
) -> Iterator[Api]:
    context = replace(engine_context, file_storage=s3_storage)
    handle = replace(tenant, engine=context)
    with TestClient(create_app(context)) as client:
        api = Api(client=client, tenant=handle)
        assert api.post("/admin/objects", json=LICENCE).status_code == 201
        yield api


def test_files_live_in_the_s3_store_when_it_is_configured(s3_api: Api) -> None:
    storage: FileStorage = s3_api.tenant.engine.files
    assert isinstance(storage, S3FileStorage)
    record = new_licence(s3_api)
    assert upload(s3_api, record["id"], PDF).status_code == 200
    assert len(blobs(s3_api)) == 1
    assert s3_api.get(f"/data/licence/{record['id']}/files/scan").content == PDF
    assert upload(s3_api, record["id"], PNG, declared="image/png").status_code == 200
    assert len(blobs(s3_api)) == 1
    refused = upload(s3_api, record["id"], PDF + b"\0" * 70_000)
    assert refused.status_code == 413
    assert s3_api.delete(f"/data/licence/{record['id']}").status_code == 204
    assert blobs(s3_api) == []


def test_a_file_field_never_names_a_lookup_s_record(licences: Api) -> None:
    dealer = {"api_name": "dealer", "fields": [{"api_name": "name", "type": "file"}]}
    assert licences.post("/admin/objects", json=dealer).status_code == 201
    lookup = {"api_name": "dealer", "type": "lookup", "target": "dealer"}
    assert licences.post("/admin/objects/licence/fields", json=lookup).status_code == 201
    response = licences.post("/data/licence/bulk", json=[{"number": "L", "dealer": "licence.pdf"}])
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert (problem["field"], problem["code"]) == ("dealer", "invalid-id")
    keyed = licences.post("/data/licence/bulk", json=[{"number": "L", "dealer.name": "x.pdf"}])
    assert keyed.status_code == 422
