"""The claim checker's rules, one kind at a time, on hand-written sentences (no model: word
overlap alone finds the span)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eval.claims import load_claims
from rag import ClaimChecker
from rag.claims.quantities import dates, dates_agree, numbers
from rag.claims.speakers import asked_speaker, claim_speaker, cues, opens_mid_quote, same_speaker, speaker_of
from rag.errors import InputError
from rag.records import Passage

HARBOUR = (
    "Port officials in Varna said on Thursday that the harbour handled 4,200,000 tonnes of grain.\n"
    '"We will not close the harbour this winter," harbour master Elena Petrova told reporters, '
    "answering a claim by union leader Ivan Kolev that the port would shut in December.\n"
    "She added that three new cranes arrived from Rotterdam."
)


def _passage(text: str = HARBOUR) -> Passage:
    return Passage(
        chunk_id="varna#0", article_id="varna", text=text, start=0, end=len(text), position=0,
        title="Varna harbour stays open", published=date(2024, 3, 14), source="Test", url="",
    )  # fmt: skip


@pytest.fixture(scope="module")
def checker() -> ClaimChecker:
    return ClaimChecker(embed=None, threshold=0.5, min_overlap=0.6)


# ---- quantities ------------------------------------------------------------------------------------


def test_amounts_are_normalised() -> None:
    assert numbers("$4.2 million") == [4_200_000.0]
    assert numbers("4,200,000 tonnes and 4.2m more") == [4_200_000.0, 4_200_000.0]
    assert numbers("three cranes, the fourth in a row, 9.1 percent") == [3.0, 4.0, 9.1]
    assert numbers("on March 3, 2021 at 8:05 p.m.") == []  # dates and clock times are not amounts


def test_weekdays_are_read_against_the_article_date() -> None:
    published = date(2024, 3, 14)  # a Thursday
    claim, text = dates("on March 14"), dates("reported on Thursday")
    assert dates_agree(claim, text, published) == (True, None)
    ok, bad = dates_agree(dates("on March 12"), text, published)
    assert not ok and bad is not None and bad.text == "March 12"
    assert dates_agree(dates("in 2019"), dates("since 2020"), published)[0] is False
    assert dates_agree(dates("on Monday"), dates("in 2020"), published) == (True, None)  # not comparable


# ---- speakers --------------------------------------------------------------------------------------


def test_attribution_cues_and_the_speaker_of_a_span() -> None:
    assert [c.speaker for c in cues(HARBOUR)][:3] == [
        "Port officials in Varna",
        "harbour master Elena Petrova",
        "union leader Ivan Kolev",
    ]
    at = HARBOUR.index("the port would shut")
    assert speaker_of(HARBOUR, at, at + 30) == "union leader Ivan Kolev"
    at = HARBOUR.index("We will not close")
    assert speaker_of(HARBOUR, at, at + 20) == "harbour master Elena Petrova"
    at = HARBOUR.index("three new cranes")
    assert speaker_of(HARBOUR, at, at + 20) == "harbour master Elena Petrova"  # "She" read back


def test_claim_speakers_and_matching() -> None:
    assert claim_speaker("In a speech, Petrova said the port stays open.") == ("Petrova", 13, 20)
    assert claim_speaker("The port stays open.") is None
    assert same_speaker("the harbour master", "harbour master Elena Petrova", HARBOUR)
    assert same_speaker("Petrova", "harbour master Elena Petrova", HARBOUR)
    assert not same_speaker("Kolev", "harbour master Elena Petrova", HARBOUR)
    assert asked_speaker("What did Elena Petrova say about the winter?") == "Elena Petrova"
    assert asked_speaker("Who runs the port?") is None


def test_a_sentence_cut_inside_a_quote_is_seen() -> None:
    text = 'And they will stay," Petrova said. "We are ready." She left.'
    assert opens_mid_quote(text, 0, 34)
    assert not opens_mid_quote(text, 35, 50)


# ---- verdicts --------------------------------------------------------------------------------------


def test_supported_claims_are_kept(checker: ClaimChecker) -> None:
    result = checker.check("Elena Petrova said the harbour will not close this winter.", [_passage()])
    assert result.verdict == "supported", result.reason
    assert "We will not close" in result.evidence[0].quote


def test_wrong_speaker_is_caught_and_corrected(checker: ClaimChecker) -> None:
    result = checker.check("Elena Petrova said the port would shut in December.", [_passage()])
    assert (result.verdict, result.kind) == ("contradicted", "speaker")
    assert "Ivan Kolev" in result.reason and result.corrected.startswith("Union leader Ivan Kolev said")


def test_reversed_polarity_is_caught(checker: ClaimChecker) -> None:
    result = checker.check("Elena Petrova said they will close the harbour this winter.", [_passage()])
    assert (result.verdict, result.kind) == ("contradicted", "negation")


def test_changed_number_is_caught_in_any_spelling(checker: ClaimChecker) -> None:
    ok = checker.check("The harbour handled $4.2 million tonnes of grain, port officials said.", [_passage()])
    assert ok.verdict == "supported", ok.reason
    bad = checker.check("The harbour handled 2.4 million tonnes of grain, port officials said.", [_passage()])
    assert (bad.verdict, bad.kind) == ("contradicted", "number")


def test_changed_date_is_caught(checker: ClaimChecker) -> None:
    bad = checker.check(
        "Port officials in Varna said on Monday that the harbour handled grain.", [_passage()]
    )
    assert (bad.verdict, bad.kind) == ("contradicted", "date")
    ok = checker.check(
        "Port officials in Varna said on Thursday that the harbour handled grain.", [_passage()]
    )
    assert ok.verdict == "supported", ok.reason


def test_swapped_entity_is_caught(checker: ClaimChecker) -> None:
    result = checker.check("Petrova added that three new cranes arrived from Hamburg.", [_passage()])
    assert (result.verdict, result.kind) == ("contradicted", "entity")


def test_unstated_claims_are_not_found(checker: ClaimChecker) -> None:
    result = checker.check("The city council voted to sell the ferry company to investors.", [_passage()])
    assert result.verdict == "not_found"
    assert checker.check("Anything at all.", []).verdict == "not_found"


def test_json_shape(checker: ClaimChecker) -> None:
    out = checker.check("Elena Petrova said the port would shut in December.", [_passage()]).to_dict()
    assert {"verdict", "kind", "reason", "evidence"} <= out.keys()
    ev = out["evidence"][0]
    assert (
        set(["article_id", "title", "published", "source", "url", "quote", "quote_start", "quote_end"])
        <= ev.keys()
    )
    assert HARBOUR[ev["quote_start"] : ev["quote_end"]] == ev["quote"]


# ---- the claim set ---------------------------------------------------------------------------------


def test_claim_set_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "claim": "x", "article_id": "y", "label": "supported", "kind": "supported"}\n'
        '{"id": "b", "claim": "x", "article_id": "y", "label": "supported", "kind": "number"}\n'
    )
    with pytest.raises(InputError, match=r"set\.jsonl:2.*does not fit"):
        load_claims(path)


def test_the_dev_set_is_big_and_balanced_enough() -> None:
    claims = load_claims(Path(__file__).resolve().parents[1] / "eval" / "sets" / "claims-dev.jsonl")
    assert len(claims) >= 200 and len({c.article_id for c in claims}) >= 60
    share = sum(c.kind == "supported" for c in claims) / len(claims)
    assert 0.38 <= share <= 0.5


# ---- in answers ------------------------------------------------------------------------------------


def test_the_verifier_drops_a_reversed_claim_and_rewrites_a_wrong_speaker() -> None:
    from rag.verify import Verifier

    draft = (
        "Elena Petrova said they will close the harbour this winter [1]. "
        "Elena Petrova said the port would shut in December [1]. "
        "The harbour handled 4,200,000 tonnes of grain [1]."
    )
    out = Verifier(embed=None, threshold=0.4).verify(draft, [_passage()])
    assert [(c.action, c.kind) for c in out.corrections] == [
        ("removed", "negation"),
        ("rewritten", "speaker"),
    ]
    assert "will close the harbour" not in out.text
    assert "Union leader Ivan Kolev said the port would shut in December [1]." in out.text
    assert "4,200,000 tonnes" in out.text


# ---- general rules added for the per-kind targets -----------------------------------------------


def test_a_neighbouring_clause_does_not_cancel_a_no() -> None:
    from rag.claims.problems import _negation_problem

    text = "To be clear, no ferries were told to skip the port and there have been no changes to fares."
    assert _negation_problem("The operator said ferries were told to skip the port.", text) is not None
    assert _negation_problem("No ferries were told to skip the port.", text) is None


def test_words_that_say_not_count_as_negations() -> None:
    from rag.claims.problems import _negation_problem

    text = "In Varna it has been illegal for fishermen to sell from the quay since 1990."
    assert (
        _negation_problem("Fishermen have not been allowed to sell from the quay since 1990.", text) is None
    )
    assert (
        _negation_problem("Fishermen have been allowed to sell from the quay since 1990.", text) is not None
    )
    refused = "The mayor refused to sign the harbour lease."
    assert _negation_problem("The mayor signed the harbour lease.", refused) is not None


def test_a_claim_adding_words_the_article_never_uses_is_not_found(checker: ClaimChecker) -> None:
    result = checker.check(
        "Harbour master Elena Petrova said the cranes would be painted gold.", [_passage()]
    )
    assert result.verdict != "supported"
    ok = checker.check("Elena Petrova said that three new cranes arrived from Rotterdam.", [_passage()])
    assert ok.verdict == "supported", ok.reason


def test_a_name_in_another_names_slot_is_caught() -> None:
    from rag.claims.entities import in_place, rival

    span = "Storms hit northern Bulgaria on Friday. Ferries to Romania and Turkey were cancelled."
    assert rival("romania", "Storms hit northern Romania on Friday.", span) == "Bulgaria"
    assert rival("bulgaria", "Storms hit northern Bulgaria on Friday.", span) is None
    assert rival("turkey", "Ferries to Turkey and Romania were cancelled.", span) is None  # order only
    assert (
        rival(
            "bulgaria", "Storms hit northern Bulgaria on Friday.", "Storms hit northern Bulgaria on Friday."
        )
        is None
    )
    text = "Petrova has run the port since 2015. Last winter her crews cleared a record 40 ships."
    assert in_place("petrova", "Petrova's crews cleared a record 40 ships.", text)  # "her" reads back
