"""The eval harness's pure parts: question files, settings and options, gold mapping, answer sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval import EvalOptions, Question, load_questions, parse_set, settings_for_eval
from eval._gold import GoldIndex
from eval._rows import answer_sentences
from rag.errors import ConfigError, InputError
from rag.records import ArticleInfo
from rag.settings import Settings
from rag.text import url_key

# --------------------------------------------------------------------------------------------------
# Question files
# --------------------------------------------------------------------------------------------------


def test_csv_questions_load_with_lists_dates_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "id,question,answers,gold_ids,date,choices,answerable\n"
        'c1,How long is the tram line?,12 kilometres|12 km,tram-skopje,2022-06-16,"[""12 km"", ""5 km""]",\n'
        "c2,Who won the olympiad?,,,,,false\n"
        ',"A question, with a comma",x,,2022-06-16T10:00:00,,yes\n',
        encoding="utf-8",
    )
    qs = load_questions(path)
    assert [q.id for q in qs][:2] == ["c1", "c2"]
    assert qs[0].answers == ("12 kilometres", "12 km")
    assert qs[0].choices == ("12 km", "5 km")
    assert qs[0].as_of is not None and qs[0].as_of.isoformat() == "2022-06-16"
    assert qs[0].answerable is None and qs[1].answerable is False and qs[2].answerable is True
    assert qs[2].id.startswith("q-") and qs[2].question == "A question, with a comma"


def test_bad_question_files_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?"}\n{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2.*question"):
        load_questions(bad)
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"id": "a", "question": "one?"}\n{"id": "a", "question": "two?"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="duplicate question id 'a'"):
        load_questions(dup)
    with pytest.raises(InputError, match="no such question file"):
        load_questions(tmp_path / "missing.jsonl")


def test_dev_questions_load_as_is(data_dir: Path) -> None:
    qs = load_questions(data_dir / "realtimeqa" / "questions-dev.jsonl")
    assert len(qs) == 98
    assert all(q.as_of and q.answers and q.gold_ids and len(q.choices) == 4 for q in qs)


def test_parse_set_reads_json_values() -> None:
    assert parse_set(["retrieval.k=8", "retrieval.hybrid=false", "llm.backend=extractive"]) == {
        "retrieval.k": 8,
        "retrieval.hybrid": False,
        "llm.backend": "extractive",
    }
    with pytest.raises(ConfigError):
        parse_set(["retrieval.k"])


def test_config_file_then_set_values(tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text("[retrieval]\nk = 8\nhybrid = false\n[llm]\nbackend = 'extractive'\n", encoding="utf-8")
    s = settings_for_eval(Settings(home=tmp_path), config=toml, overrides={"retrieval.k": 3})
    assert (s.retrieval.k, s.retrieval.hybrid, s.llm.backend) == (3, False, "extractive")
    with pytest.raises(ConfigError, match="cannot read"):
        settings_for_eval(Settings(home=tmp_path), config=tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="invalid setting"):
        settings_for_eval(Settings(home=tmp_path), overrides={"retrieval.k": 0})


def test_options_put_k_and_backend_over_set_values_and_give_a_corpus_its_own_collection(
    tmp_path: Path,
) -> None:
    options = EvalOptions(
        overrides={"retrieval.k": 3, "llm.backend": "local"}, k=7, backend="extractive", corpus="a/b.jsonl"
    )
    s = options.settings(Settings(home=tmp_path, collection="news"))
    assert (s.retrieval.k, s.llm.backend) == (7, "extractive")
    assert s.collection.startswith("eval-b-")
    assert EvalOptions().settings(Settings(home=tmp_path, collection="news")).collection == "news"
    with pytest.raises(ConfigError, match="unknown baseline 'nope'"):
        EvalOptions(baseline="nope")


# --------------------------------------------------------------------------------------------------
# Gold mapping and sentences (pure)
# --------------------------------------------------------------------------------------------------


def _info(aid: str, url: str = "", aliases: tuple[str, ...] = ()) -> ArticleInfo:
    return ArticleInfo(aid, aid, None, "s", url, (), "h", "t", 1, aliases=aliases)


def test_gold_index_resolves_aliases_and_urls() -> None:
    infos = {
        "a": _info("a", "https://www.cnn.com/2022/06/12/x/index.html", aliases=("a-copy",)),
        "b": _info("b", "https://cnn.com/b"),
    }
    gold = GoldIndex(infos, {"a": "Squid Game returns", "b": "Nothing here"})
    q = Question(id="q", question="?", gold_ids=("a-copy", "gone"), answers=("squid game",))
    assert gold.resolve(q).ids == ("a", "gone")  # an id the store lacks still counts against recall
    assert gold.ranked(["b", "a-copy"]) == ["b", "a"]
    q2 = Question(id="q2", question="?", gold_urls=("http://cnn.com/2022/06/12/x/index.html/",))
    assert gold.resolve(q2).ids == ("a",)
    assert gold.excluded(q) == {"a"}
    assert url_key("HTTPS://WWW.Example.com/a/?x=1#f") == "example.com/a"


def test_answer_sentences_attach_trailing_markers() -> None:
    got = answer_sentences("Netflix renewed Squid Game [1]. It returns in 2024. [2, 3] Fans cheered [4].")
    assert got == [
        ("Netflix renewed Squid Game [1].", [1]),
        ("It returns in 2024. [2, 3]", [2, 3]),
        ("Fans cheered [4].", [4]),
    ]
