"""The example plugin's staff page: a plugin adds pages, navigation and forms through the SDK."""

from __future__ import annotations

NOTE_VIEW = "payvand_example.note.view"
NOTE_EDIT = "payvand_example.note.edit"


def test_the_plugins_page_is_in_the_navigation_of_users_who_may_see_it(web_as):
    assert 'href="/example/notes"' in web_as([NOTE_VIEW]).get("/").text
    assert 'href="/example/notes"' not in web_as(["core.customer.view"]).get("/").text


def test_the_page_renders_inside_the_staff_layout(web_as, make_customer, db_session):
    from payvand_example.models import Note

    customer = make_customer(given_name="Nasrin")
    db_session.add(Note(customer_id=customer.id, text="Prefers calls after 5pm"))
    db_session.commit()
    page = web_as([NOTE_VIEW]).get("/example/notes")
    assert page.status_code == 200
    assert "Prefers calls after 5pm" in page.text and "Nasrin" in page.text
    assert 'id="main-nav"' in page.text  # the core's layout
    assert 'id="note-form"' not in page.text  # no edit permission, no form


def test_a_note_is_validated_by_the_apis_schema(web_as, make_customer):
    web = web_as([NOTE_VIEW, NOTE_EDIT])
    bad = web.post("/example/notes", {"customer_id": "", "text": ""})
    assert bad.status_code == 422
    assert 'id="f-customer_id-error"' in bad.text and 'id="f-text-error"' in bad.text
    customer = make_customer()
    good = web.post("/example/notes", {"customer_id": str(customer.id), "text": "Called back"})
    assert good.status_code == 302
    assert "Called back" in web.get("/example/notes").text


def test_the_page_checks_its_permissions(web_as, client):
    assert web_as(["core.customer.view"]).get("/example/notes").status_code == 403
    assert web_as([NOTE_VIEW]).post("/example/notes", {"customer_id": "1", "text": "x"}).status_code == 403
    assert client.get("/example/notes").status_code == 302



def test_the_notes_list_pages_filters_and_exports_with_the_list_kit(web_as, api, make_customer, db_session):
    from payvand_example.models import Note

    customer = make_customer(given_name="Parvin")
    db_session.add_all([Note(customer_id=customer.id, text=f"note {n}") for n in range(3)]
                       + [Note(customer_id=customer.id, text="=HYPERLINK(1)")])
    db_session.commit()
    first = api.get("example/notes", query_string={"limit": 2, "text__contains": "note"}).json
    assert [n["text"] for n in first["items"]] == ["note 2", "note 1"]
    second = api.get("example/notes", query_string={"limit": 2, "text__contains": "note",
                                                    "cursor": first["next_cursor"]}).json
    assert [n["text"] for n in second["items"]] == ["note 0"] and second["next_cursor"] is None
    other_sort = api.get("example/notes", query_string={"sort": "id", "cursor": first["next_cursor"]})
    assert other_sort.status_code == 400 and other_sort.json["error"]["fields"] == {"cursor": ["Invalid cursor."]}
    assert api.get("example/notes", query_string={"text__eq": "x"}).status_code == 422
    assert api.get("example/notes", query_string={"customer_id": "abc"}).status_code == 422
    web = web_as([NOTE_VIEW])
    page = web.get("/example/notes?text__prefix=note")
    assert page.status_code == 200 and 'id="notes-table"' in page.text and "HYPERLINK" not in page.text
    assert '<bdi dir="auto">note 1</bdi>' in page.text
    assert "Nothing matches these filters." in web.get("/example/notes?text__prefix=zzz").text
    assert web.get("/example/notes?cursor=garbage").status_code == 400
    exported = web.get("/example/notes.csv?text__contains=HYPER")
    lines = exported.text.splitlines()
    assert lines[0] == "id,customer_id,display_name,text,created_at"
    assert len(lines) == 2 and ",'=HYPERLINK(1)," in lines[1]


def test_the_notes_filters_read_as_data():
    from payvand_example.lists import NOTES

    described = {f["name"]: f for f in NOTES.describe()["filters"]}
    assert described["text"]["operators"] == ["contains", "prefix"]
    assert described["text"]["params"] == {"contains": "text__contains", "prefix": "text__prefix"}
    assert described["customer_id"]["type"] == "id"
