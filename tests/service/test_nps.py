"""NPS: invitations need marketing consent, a signed link records one answer, NPS per month on the report."""

from __future__ import annotations

import re

import sqlalchemy as sa

from payvand.plugins.service.models_nps import NpsResponse, NpsSend
from payvand.plugins.service.services.nps import nps_row
from payvand.sdk import Interaction


def test_only_consenting_customers_are_surveyed_and_an_answer_is_recorded_once(app, api_as, make_customer, mail_sink,
                                                                            run_jobs, db_session, web_as):
    willing = make_customer(emails=[{"value": "nima@example.com"}], consents=[{"channel": "email", "granted": True}])
    unwilling = make_customer(emails=[{"value": "leila@example.com"}])
    api = api_as(["service.nps.send"])
    body = {"campaign": "2026-q4", "customer_ids": [willing.id, unwilling.id]}
    sent = api.post("/api/v1/service/nps/invitations", json=body)
    assert sent.status_code == 200 and sent.get_json() == {"sent": 1, "refused": 1, "skipped": 0}
    assert api.post("/api/v1/service/nps/invitations", json=body).get_json()["skipped"] == 1
    run_jobs()
    [mail] = mail_sink.messages
    assert mail["To"] == "nima@example.com"
    text = mail.get_body(("plain",)).get_content()
    url = re.search(r"(\S*/service/nps/\S+)\?score=9", text).group(1)
    path = url[url.index("/service/nps/"):]
    client = app.test_client()
    assert client.get(path + "?score=9").status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)
                             .where(Interaction.kind == "service.nps_received")) == 0  # a GET records nothing
    assert client.post(path, data={"score": "11"}).status_code == 422
    done = client.post(path, data={"score": "9", "comment": "عالی"})
    assert done.status_code == 200 and 'id="nps-thanks"' in done.get_data(as_text=True)
    client.post(path, data={"score": "0"})
    [answer] = db_session.scalars(sa.select(Interaction).where(Interaction.kind == "service.nps_received")).all()
    assert (answer.customer_id, answer.payload["score"], answer.payload["comment"]) == (willing.id, 9, "عالی")
    assert db_session.scalar(sa.select(NpsResponse.score).where(NpsResponse.customer_id == willing.id)) == 9
    assert client.get(path[:-3] + "xyz").status_code == 404
    report = web_as(["core.evaluation.view"]).get("/reports/evaluation").get_data(as_text=True)
    assert 'id="program-service-nps"' in report and "100.0" in report


def test_nps_is_promoters_minus_detractors_in_percent():
    row = nps_row("2026-12", [10, 9, 8, 7, 6, 0, 3, 10])
    assert (row.responses, row.score) == (8, 0.0)
    assert list(row.detail.values()) == [3, 2, 3]
    assert nps_row("2026-11", [9, 9, 7, 2]).score == 25.0


def test_sending_needs_its_permission_and_bad_input_is_a_field_error(api_as):
    body = {"campaign": "q4", "customer_ids": [1]}
    assert api_as(["service.ticket.all"]).post("/api/v1/service/nps/invitations", json=body).status_code == 403
    bad = api_as(["service.nps.send"]).post("/api/v1/service/nps/invitations",
                                            json={"campaign": "no spaces!", "customer_ids": []})
    assert bad.status_code == 422
    errors = bad.get_json()["error"]["fields"]
    assert "campaign" in errors and "customer_ids" in errors


def test_an_erased_customers_nps_comment_is_blanked_and_the_score_kept(in_app, make_customer, api):
    customer = make_customer()
    with in_app() as session:
        session.add(NpsResponse(campaign="q4", customer_id=customer.id, score=3, comment="Call me on 0912 000 0000"))
    exported = api.get(f"/api/v1/customers/{customer.id}/export")
    assert "Call me" in exported.get_data(as_text=True)
    assert api.post(f"/api/v1/customers/{customer.id}/erase").status_code == 200
    with in_app() as session:
        row = session.scalar(sa.select(NpsResponse).where(NpsResponse.customer_id == customer.id))
        assert (row.score, row.comment) == (3, "")


def _send_page_token(text):
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_a_segment_chosen_by_the_customer_lists_filters_is_previewed_then_surveyed_in_the_background(
        web_as, make_customer, mail_sink, run_jobs, db_session):
    vip = [make_customer(emails=[{"value": f"vip{n}@example.com"}], tags=["vip"],
                         consents=[{"channel": "email", "granted": True}]) for n in range(3)]
    make_customer(emails=[{"value": "other@example.com"}], tags=["other"], consents=[{"channel": "email", "granted": True}])
    unwilling = make_customer(emails=[{"value": "no@example.com"}], tags=["vip"])
    web = web_as(["service.nps.send"])
    page = web.get("/service/surveys/nps?campaign=q4&tag=vip&preview=1")
    assert page.status_code == 200 and 'id="nps-matching"' in page.text and ">4 customers match" in page.text
    sent = web.post("/service/surveys/nps", {"campaign": "q4", "channel": "email", "tag": "vip"})
    assert sent.status_code == 302
    assert mail_sink.messages == []  # nothing goes out inside the request
    run_jobs()
    assert sorted(m["To"] for m in mail_sink.messages) == sorted(f"vip{n}@example.com" for n in range(3))
    invited = set(db_session.scalars(sa.select(NpsResponse.customer_id).where(NpsResponse.campaign == "q4")))
    assert invited == {c.id for c in vip} and unwilling.id not in invited
    again = web.post("/service/surveys/nps", {"campaign": "q4", "channel": "email", "tag": "vip"})
    assert again.status_code == 302
    run_jobs()
    assert len(mail_sink.messages) == 3  # idempotent: each customer once per campaign
    listing = web.get("/service/surveys/nps").text
    assert listing.count("<bdi>q4</bdi>") == 2


def test_the_send_page_shows_field_errors_and_needs_its_permission(web_as, client):
    web = web_as(["service.nps.send"])
    bad = web.post("/service/surveys/nps", {"campaign": "no spaces!", "owner_id": "abc"})
    assert bad.status_code == 422
    assert 'id="nps-campaign-error"' in bad.text and 'id="nps-owner_id-error"' in bad.text
    assert web_as(["service.ticket.view"]).get("/service/surveys/nps").status_code == 403
    assert client.get("/service/surveys/nps").status_code in (302, 303)
    assert web.post("/service/surveys/nps", {"campaign": "q4"}, csrf=False).status_code == 400
    web.post("/account/locale", {"locale": "fa"})
    stages = web.get("/service/surveys/nps").text.split('id="nps-f-stage"', 1)[1].split("</select>", 1)[0]
    assert '<option value="loyal">وفادار</option>' in stages and ">loyal<" not in stages  # the stages in Persian


def test_the_api_sends_to_the_same_filters_with_a_dry_run_count(api_as, make_customer, run_jobs, db_session, mail_sink):
    customers = [make_customer(emails=[{"value": f"s{n}@example.com"}], lifecycle_stage="customer",
                               consents=[{"channel": "email", "granted": True}]) for n in range(2)]
    make_customer(lifecycle_stage="lead")
    api = api_as(["service.nps.send"])
    body = {"campaign": "2026-q4", "filters": {"stage": "customer"}}
    dry = api.post("/api/v1/service/nps/sends", json={**body, "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["matching"] == 2
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NpsSend)) == 0
    queued = api.post("/api/v1/service/nps/sends", json=body)
    assert queued.status_code == 202 and queued.get_json()["sent"] is None
    run_jobs()
    [done] = api.get("/api/v1/service/nps/sends").get_json()
    assert (done["matching"], done["sent"], done["refused"], done["skipped"]) == (2, 2, 0, 0)
    assert set(db_session.scalars(sa.select(NpsResponse.customer_id))) == {c.id for c in customers}
    bad = api.post("/api/v1/service/nps/sends", json={"campaign": "x", "filters": {"nonsense": "1", }})
    assert bad.status_code == 422 and "nonsense" in bad.get_json()["error"]["fields"]["filters"]
    both = api.post("/api/v1/service/nps/sends", json={"campaign": "x", "filters": {"stage": "lead"}, "customer_ids": [1]})
    assert both.status_code == 422 and "customer_ids" in both.get_json()["error"]["fields"]
    assert api_as(["service.ticket.view"]).post("/api/v1/service/nps/sends", json=body).status_code == 403


def test_nps_periods_are_jalali_months_of_the_sites_time_zone_for_a_persian_reader(in_app, make_customer):
    import datetime as dt

    from payvand.plugins.service.services.nps import nps_summary
    from payvand.sdk import Actor

    customer = make_customer()
    # 2026-03-20 21:00 UTC is 2026-03-21 00:30 in Tehran: 1 Farvardin 1405 (in UTC still March 20, Esfand 1404)
    moment = dt.datetime(2026, 3, 20, 21, 0, tzinfo=dt.UTC)
    with in_app() as session:
        session.add(NpsResponse(campaign="q1", customer_id=customer.id, score=10, answered_at=moment))
    start, end = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    with in_app() as session:
        [fa] = nps_summary(session, Actor.user(1, "a@example.com", locale="fa"), start, end, "period")
        [en] = nps_summary(session, Actor.user(1, "a@example.com", locale="en"), start, end, "period")
    assert (fa.key, en.key) == ("1405-01", "2026-03")


def test_the_evaluation_report_counts_jalali_months_for_a_persian_reader_and_gregorian_for_an_english_one(
        in_app, make_customer, web_as):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from payvand.core.services.evaluation import local_month_start
    from payvand.sdk import User, utcnow

    customer = make_customer()
    now, site = utcnow(), ZoneInfo("Asia/Tehran")  # the default site zone
    jalali, gregorian = (local_month_start(now, 0, site, calendar) for calendar in ("jalali", "gregorian"))
    answered = min(jalali, gregorian) + (max(jalali, gregorian) - min(jalali, gregorian)) / 2  # in one month only
    with in_app() as session:
        session.add(NpsResponse(campaign="q", customer_id=customer.id, score=10, answered_at=answered))

    def reader(locale: str):
        web = web_as(["core.evaluation.view"])
        with in_app() as session:
            session.get(User, web.user_id).locale = locale
        return web.get("/reports/evaluation?months=1").get_data(as_text=True)

    fa, en = reader("fa"), reader("en")
    in_fa = "100.0" in fa
    assert in_fa == (jalali < gregorian) and ("100.0" in en) == (gregorian < jalali)
    tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    start = local_month_start(dt.datetime(2026, 12, 7, tzinfo=dt.UTC), 0, tehran, "jalali")
    assert start == dt.datetime(2026, 11, 21, 20, 30, tzinfo=dt.UTC)  # 1 Azar 1405 00:00 in Tehran
    assert local_month_start(dt.datetime(2026, 12, 7, tzinfo=dt.UTC), 1, tehran, "gregorian") == \
        dt.datetime(2026, 10, 31, 20, 30, tzinfo=dt.UTC)
