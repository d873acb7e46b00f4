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

