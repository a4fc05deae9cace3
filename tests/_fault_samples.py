"""The two short stories the fault tests ingest, and the question they ask."""

from __future__ import annotations

from pathlib import Path

NATO = (
    "NATO chief in Skopje: no imminent threat\n"
    "Skopje, 21 November 2023 (MIA) - NATO sees no imminent military threat from Russia against any "
    "of its allies, Secretary General Jens Stoltenberg said on Tuesday during a visit to North "
    "Macedonia. The alliance stays vigilant and remains united, he said.\n"
)
TRAM = (
    "Trams reach Newhaven\n"
    "Edinburgh, 7 June 2023 - Trams began carrying passengers between the city centre and Newhaven on "
    "Wednesday, as the extension of the line through Leith opened to the public.\n"
)
QUESTION = "What did Stoltenberg say in Skopje about a military threat from Russia?"


def write_samples(folder: Path) -> Path:
    """The two stories as text files in ``folder``; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nato.txt").write_text(NATO, encoding="utf-8")
    (folder / "tram.txt").write_text(TRAM, encoding="utf-8")
    return folder
