"""The page checks of the SDK kit (`payvand.sdk.testing`): what they flag and what they accept."""

from __future__ import annotations

import pytest

from payvand.sdk.testing import assert_isolated, english_words, foreign_number_formats, isolate, unisolated

NAME = "Ali (علی) Co."


@pytest.mark.parametrize("html", [
    f"<td><bdi>{NAME}</bdi></td>",
    f'<h1 dir="auto">{NAME}</h1>',
    f"<title>ویرایش {isolate(NAME)}</title>",
    f'<input type="text" dir="auto" value="{NAME}">',
    f'<button aria-label="حذف {isolate(NAME)}">x</button>',
])
def test_isolated_user_text_passes(html):
    assert unisolated(html, NAME) == []
    assert_isolated(html, NAME)


@pytest.mark.parametrize("html", [
    f"<td>{NAME}</td>",
    f"<title>ویرایش {NAME}</title>",
    f'<input type="text" value="{NAME}">',
    f'<span dir="auto"><button aria-label="حذف {NAME}">x</button></span>',  # attributes need FSI…PDI
    f"<p>{isolate('x')} {NAME}</p>",
])
def test_unisolated_user_text_is_reported(html):
    assert len(unisolated(html, NAME)) == 1
    with pytest.raises(AssertionError):
        assert_isolated(html, NAME)


def test_a_text_missing_from_the_page_fails_the_assertion():
    with pytest.raises(AssertionError, match="does not occur"):
        assert_isolated("<p>nothing</p>", NAME)


def test_numbers_grouped_the_other_way_are_reported():
    assert foreign_number_formats("<td>۱٬۲۵۰٬۰۰۰ ریال</td><td>1,250,000</td><td>۱,۲۵۰</td>", "fa") == [
        "1,250,000", "۱,۲۵۰"]
    assert foreign_number_formats("<td>1,250,000 rials</td><td>1٬250</td>", "en") == ["1٬250"]
    assert foreign_number_formats("<script>var x = '1,000';</script><td>a, 2, 3</td>", "fa") == []


def test_english_words_of_a_persian_page_skip_data_and_machine_text():
    html = ('<html lang="fa"><title>مشتری · Payvand</title><body><p>Quote sent</p><p>Ali (علی) Co.</p>'
            '<a dir="ltr">a@example.com</a><code>sales.deal</code><button lang="en">English</button></body></html>')
    assert [word.split()[0] for word in english_words(html, allow=[NAME])] == ["Quote", "sent"]
