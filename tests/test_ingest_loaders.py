"""Loaders: files, folders, records, encodings and bad inputs (all made in tmp_path)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest import Failure, LoadOptions, RawArticle, iter_input, parse_field_map
from ingest.decoding import decode_bytes
from ingest.loaders import count_inputs


def _load(value: Path | str, **kw: object) -> tuple[list[RawArticle], list[Failure]]:
    items = list(iter_input(str(value), LoadOptions(**kw)))  # type: ignore[arg-type]
    return [i for i in items if isinstance(i, RawArticle)], [i for i in items if isinstance(i, Failure)]


def test_text_files_in_a_folder_get_path_ids_and_first_line_titles(tmp_path: Path) -> None:
    root = tmp_path / "news"
    (root / "sport").mkdir(parents=True)
    (root / "sport" / "001.txt").write_text("Chelsea sack Mutu\n\nChelsea have sacked Adrian Mutu.\n")
    (root / "a.md").write_text("# Markdown title\n\nBody of the markdown note.\n")
    (root / "README.TXT").write_text("About this folder\nnot an article")
    (root / ".hidden.txt").write_text("Hidden\nnot an article")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    articles, failures = _load(root)
    assert failures == []
    assert {a.id: a.title for a in articles} == {
        "news/a.md": "Markdown title",
        "news/sport/001.txt": "Chelsea sack Mutu",
    }
    one, _ = _load(root / "sport" / "001.txt")
    assert one[0].id == "sport/001.txt"
    assert one[0].origin == str((root / "sport" / "001.txt").resolve())


def test_latin1_and_other_encodings_are_detected(tmp_path: Path) -> None:
    text = "Mutu fined\n\nThe striker was fined £20,000 by the club and must pay €5,000 more.\n"
    (tmp_path / "latin1.txt").write_bytes(text.replace("€5,000", "5,000").encode("latin-1"))
    (tmp_path / "cp1252.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "utf8bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    articles, failures = _load(tmp_path)
    assert failures == []
    by_name = {a.id.rsplit("/", 1)[1]: a for a in articles}
    assert "£20,000" in by_name["latin1.txt"].text
    for name in ("cp1252.txt", "utf16.txt", "utf8bom.txt"):
        assert "£20,000" in by_name[name].text and "€5,000" in by_name[name].text, name
        assert by_name[name].title == "Mutu fined"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Crème brûlée and café au lait are sold at the market this week.", "latin-1"),
        ("The price of a café crème in the old town rose to £4 this week.", "latin-1"),
        ("Der Bürgermeister sagte, die Straßenbahn fährt ab Montag öfter.", "latin-1"),
        ("Zażółć gęślą jaźń. Władze miasta ogłosiły, że nowa linia tramwajowa zostanie otwarta.", "cp1250"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy. Městská rada schválila rozpočet.", "cp1250"),
        ("Правительство объявило о новых мерах поддержки экономики на этой неделе.", "cp1251"),
    ],
)
def test_short_legacy_texts_decode_to_their_own_letters(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), "x.txt") == text


@pytest.mark.data
def test_the_latin1_bbc_file_keeps_its_pound_signs(data_dir: Path) -> None:
    (article,), failures = _load(data_dir / "bbc" / "sport" / "199.txt")
    assert failures == []
    assert "£" in article.text and "\ufffd" not in article.text


def test_bad_files_are_reported_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("  \n\n ")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # sparse: 51 MB on paper, nothing on disk
        fh.truncate(51 * 1024 * 1024)
    (tmp_path / "good.txt").write_text("Good title\nGood body.")
    articles, failures = _load(tmp_path)
    assert [a.title for a in articles] == ["Good title"]
    reasons = {Path(f.input).name: f.reason for f in failures}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "over the 50 MB limit" in reasons["big.txt"]


def test_missing_and_unsupported_inputs(tmp_path: Path) -> None:
    _, failures = _load(tmp_path / "nope")
    assert failures[0].reason == "no such file or folder"
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    _, failures = _load(tmp_path / "x.pdf")
    assert "unsupported file type" in failures[0].reason
    (tmp_path / "empty-dir").mkdir()
    _, failures = _load(tmp_path / "empty-dir")
    assert "no supported files" in failures[0].reason


def test_jsonl_keeps_ids_dates_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps(
            {
                "id": "abc123",
                "title": "T1",
                "text": "First story.",
                "published": "2022-07-08",
                "authors": ["Kate"],
                "source": "cnn.com",
                "url": "https://cnn.com/1",
            }
        ),
        "{not json",
        "",
        json.dumps({"id": "def456", "title": None, "text": "Second story without a title. More."}),
        json.dumps({"id": "ghi789", "title": "No text"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "No id here.", "url": "https://www.example.com/a?utm_source=x#top"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, failures = _load(path)
    assert [a.id for a in articles] == ["abc123", "def456", "https://www.example.com/a"]
    first = articles[0]
    assert (first.published, first.source, first.authors, first.url) == (
        date(2022, 7, 8),
        "cnn.com",
        ("Kate",),
        "https://cnn.com/1",
    )
    assert articles[2].source == "example.com"
    assert [f.input for f in failures] == [
        f"{path.resolve()}:2",
        f"{path.resolve()}:5",
        f"{path.resolve()}:6",
    ]
    assert "malformed JSON" in failures[0].reason
    assert "no text" in failures[1].reason
    assert count_inputs([str(path)]) == 6


def test_field_mapping_and_json_arrays(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps({"articles": [{"key": "k1", "headline": "H", "body": "The body.", "when": "2021-01-02"}]})
    )
    articles, failures = _load(path, fields={"id": "key", "text": "body", "published": "when"})
    assert failures == []
    assert (articles[0].id, articles[0].title, articles[0].text, articles[0].published) == (
        "k1",
        "H",
        "The body.",
        date(2021, 1, 2),
    )
    assert parse_field_map(["text=body", "published = when"]) == {"text": "body", "published": "when"}
    with pytest.raises(ValueError, match="unknown field"):
        parse_field_map(["bogus=x"])
    with pytest.raises(ValueError, match="OURS=THEIRS"):
        parse_field_map(["text"])


def test_csv_records_and_a_csv_without_a_text_column(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text('id,title,body,date\n1,"A, title","Body one, with comma.",2020-05-06\n2,B,,2020-05-07\n')
    articles, failures = _load(good, fields={"text": "body"})
    assert [(a.id, a.title, a.text, a.published) for a in articles] == [
        ("1", "A, title", "Body one, with comma.", date(2020, 5, 6))
    ]
    assert failures[0].input.endswith("good.csv:3") and "no text" in failures[0].reason
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,summary\n1,T,S\n")
    articles, failures = _load(bad)
    assert articles == []
    assert "no text column" in failures[0].reason and "summary" in failures[0].reason


def test_html_keeps_title_date_author_url_and_drops_scripts(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        """<html><head><title>Ignored | Site</title>
        <meta property="og:title" content="Council passes budget">
        <link rel="canonical" href="https://news.example.com/budget">
        <meta name="author" content="Jane Doe">
        <meta property="article:published_time" content="2023-11-21T10:00:00Z">
        <script>var secret = "SCRIPT TEXT";</script></head>
        <body><nav>Home | World | Sport</nav>
        <iframe src="https://ads.example.com">IFRAME TEXT</iframe>
        <article><h1>Council passes budget</h1>
        <p>The city council passed next year's budget on Tuesday after a debate of six hours.</p>
        <script>document.write("MORE SCRIPT")</script>
        <p>Roads and schools get most of the new money, the mayor said after the vote.</p></article>
        <footer>Copyright 2023 Example</footer></body></html>""",
        encoding="utf-8",
    )
    (article,), failures = _load(page)
    assert failures == []
    assert article.title == "Council passes budget"
    assert article.published == date(2023, 11, 21)
    assert article.authors == ("Jane Doe",)
    assert article.url == "https://news.example.com/budget"
    assert "passed next year's budget" in article.text and "Roads and schools" in article.text
    for junk in ("SCRIPT TEXT", "MORE SCRIPT", "IFRAME TEXT", "Home | World"):
        assert junk not in article.text


def test_html_without_text_fails(tmp_path: Path) -> None:
    (tmp_path / "blank.html").write_text("<html><body><script>x()</script></body></html>")
    _, failures = _load(tmp_path / "blank.html")
    assert failures and "no article text" in failures[0].reason
