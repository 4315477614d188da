"""A generator of news-like corpora for the benchmarks and the scale tests.

Deterministic for a given (sentences, seed). Each article is a `.md` file with
front matter (title, date, authors, source) and paragraphs of several
sentences. Word choice follows a Zipf-Mandelbrot law over a vocabulary of real
news words followed by synthetic ones (so a few words are in most passages
and most words are rare, as in news), with bursty per-article topic words,
people and organisations with capitalised names, places, numbers, percentages,
money and dates. Sentences avoid abbreviations, so pysbd splits them where the
generator ended them and "N sentences" is N passages (plus a byline and a date
line per article).

Besides the articles, `generate()` returns questions drawn from the corpus:
most are built from the words of a real sentence (answerable), some use very
common words (long postings lists: the p99 case), some use words that occur
nowhere.

    python -m bench.corpus --sentences 10k --out /tmp/kb10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

NEWS_WORDS = """
said government company market year officials percent million billion president minister
people state country report week month plan deal trade price prices policy election vote
court police city industry workers bank rate rates growth economy investors shares stock
budget tax taxes energy oil gas power climate water health hospital school students data
security military war talks agreement sanctions exports imports tariffs production factory
technology software chips network platform users service services project funding loan
debt inflation interest spending revenue profit profits sales customers board chief executive
director spokesman spokeswoman statement interview announcement decision law bill rules
regulators regulation investigation inquiry charges trial judge lawyers case ruling appeal
protest protesters crowd union strike wages jobs unemployment housing rent construction
transport airport railway road traffic ship port border migrants refugees aid crisis
disaster flood fire storm drought farmers crops food supply shortage demand capacity
research scientists study university experts analysts economists forecast outlook risk
risks concern concerns pressure support opposition party parliament senate congress
committee council agency ministry department office leader leaders members group groups
coalition campaign candidate candidates voters poll polls result results record level levels
quarter half share stake merger acquisition bid offer talks partner partners contract
contracts order orders delivery launch release version update system systems access
control program programme scheme reform reforms fund funds package measures steps move
plan plans target targets goal goals deadline schedule delay delays cost costs impact
effect effects change changes increase decrease rise fall drop surge decline gain loss
losses warning warnings threat threats attack attacks damage victims residents community
region regional national local global international foreign domestic public private
federal central annual early late new former current senior top major key small large
""".split()

FIRST = """
Anna Ben Carla David Elena Farid Grace Hiro Ines Jonas Kemal Lena Marco Nadia Omar Priya
Quentin Rosa Samir Tara Ulrich Vera Wei Ximena Yusuf Zara Amir Beatriz Chen Daria Emeka
Fatima Gabriel Hana Ivan Julia Kofi Laila Mateo Nina Oscar Paula Rafael Sofia Tomas Uma
Victor Wanda Yara Zoltan Aisha Bruno Celia Dmitri Esther Felix Gloria Hugo Irene Jamal
Kira Luis Mei Nikolai Olga Pedro Rania Stefan Teresa Valentina Walter Yuki Adrian Bianca
Cyrus Delia Eliot Frida Gustav Helga Idris Jana Karim Lucia Milan Noor Orla Pavel Rhea
""".split()
LAST = """
Abbott Bianchi Castro Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski Larsen
Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda Varga Weber Xu Yilmaz Zhang
Alvarez Becker Chowdhury Diaz Evans Ferreira Gupta Hoffmann Ibrahim Johansson Kim Lopez
Mendes Novak Ortiz Park Reyes Santos Torres Umar Vogel Wagner Young Zimmermann Adeyemi
Bauer Costa Dimitrov Eze Fontaine Green Hughes Iqbal Jovanovic Khan Lindqvist Muller
Nguyen Olsen Popescu Ramos Silva Thompson Usman Villa Walsh Yamamoto Ziegler Andersen
Brooks Carvalho Delgado Engel Farah Gomez Horvat Ito Kaplan Lambert Mazur Nilsson
""".split()
PLACES = """
Lisbon Nairobi Osaka Toronto Lagos Warsaw Santiago Mumbai Jakarta Cairo Oslo Denver
Manila Lima Hanoi Dakar Quito Accra Seoul Madrid Vienna Prague Athens Dublin Helsinki
Bogota Karachi Dhaka Tunis Rabat Kyiv Riga Tallinn Vilnius Sofia Zagreb Belgrade Ankara
Tbilisi Baku Almaty Tashkent Perth Auckland Calgary Houston Chicago Boston Seattle Miami
""".split()
REPORT_VERBS = "said announced confirmed warned told argued noted added explained insisted reported estimated".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
ORG_SUFFIX = ["Group", "Holdings", "Industries", "Partners", "Systems", "Energy", "Bank", "Foundation", "Labs", "Motors"]
AGENCIES = ["Ministry of", "Department of", "Office of", "Commission for", "Agency for"]
SOURCES = ["Daily Ledger", "Harbor Times", "Metro Post", "The Courier", "Evening Standard", "Wire Service"]
FUNCTION = "the the the a a of of of in in to to and and for on with by at from as that its their".split()
CONNECT = ["after", "because", "while", "although", "before", "as", "since", "when"]
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pl pr sk st tr ch sh th".split()
_VOWELS = "a e i o u a e i o ai ea ou io".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "t", "m", "nd", "rt", "st", "x"]

SIZES = {"1k": 1_000, "10k": 10_000, "30k": 30_000, "100k": 100_000, "1m": 1_000_000}


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text in SIZES:
        return SIZES[text]
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def _synthetic_vocabulary(rng: random.Random, n: int, avoid: set[str]) -> list[str]:
    words: list[str] = []
    seen = set(avoid)
    while len(words) < n:
        k = rng.choice((2, 2, 3, 3, 4))
        w = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(k)) + rng.choice(_CODAS)
        if len(w) >= 4 and w not in seen:
            seen.add(w)
            words.append(w)
    return words


@dataclass
class Corpus:
    folder: Path
    files: list[Path]
    sentences: int  # body sentences written
    questions: list[str] = field(default_factory=list)


class _Gen:
    def __init__(self, seed: int, vocab_size: int) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        base = list(dict.fromkeys(NEWS_WORDS))
        self.vocab = base + _synthetic_vocabulary(self.rng, vocab_size - len(base), set(base))
        ranks = np.arange(len(self.vocab), dtype=np.float64)
        p = 1.0 / (ranks + 2.7) ** 1.07  # Zipf-Mandelbrot
        self.cdf = np.cumsum(p / p.sum())
        self._buf: list[int] = []
        people = [f"{f} {l}" for f in FIRST for l in LAST]
        self.rng.shuffle(people)
        self.people = people
        self.orgs = [w.capitalize() + " " + self.rng.choice(ORG_SUFFIX) for w in self.vocab[300:2300]]
        self.agencies = [f"{self.rng.choice(AGENCIES)} {w.capitalize()}" for w in base[:120]]

    def word(self) -> str:
        if not self._buf:
            self._buf = np.searchsorted(self.cdf, self.np.random(65536)).tolist()
        return self.vocab[min(self._buf.pop(), len(self.vocab) - 1)]

    def number(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return f"{self.rng.randint(2, 95)}%"
        if r < 0.55:
            return f"${self.rng.randint(1, 900)}.{self.rng.randint(1, 9)} {self.rng.choice(['million', 'billion'])}"
        if r < 0.8:
            return f"{self.rng.randint(1, 99):,}".replace(",", "") + "," + f"{self.rng.randint(0, 999):03d}"
        return str(self.rng.randint(2, 400))

    def when(self, year: int) -> str:
        r = self.rng.random()
        if r < 0.4:
            return f"on {self.rng.choice(DAYS)}"
        if r < 0.8:
            return f"in {self.rng.choice(MONTHS)} {year}"
        return f"{self.rng.randint(2, 11)} weeks ago"

    def phrase(self, topic: list[str], n: int) -> list[str]:
        out = []
        for _ in range(n):
            if self.rng.random() < 0.45:
                out.append(self.rng.choice(FUNCTION))
            out.append(self.rng.choice(topic) if self.rng.random() < 0.3 else self.word())
        return out

    def sentence(self, art: dict) -> str:
        rng = self.rng
        topic = art["topic"]
        r = rng.random()
        if r < 0.3:
            subject = rng.choice(art["people"])
        elif r < 0.45:
            subject = rng.choice(art["orgs"])
        else:
            subject = "The " + " ".join(self.phrase(topic, rng.randint(1, 2)))
        words = [subject]
        if rng.random() < 0.5:
            words += [rng.choice(REPORT_VERBS), "the"]
        words += self.phrase(topic, rng.randint(4, 9))
        if rng.random() < 0.35:
            words += ["in", rng.choice(art["places"])]
        if rng.random() < 0.35:
            words += ["by", self.number()]
        if rng.random() < 0.3:
            words.append(self.when(art["year"]))
        if rng.random() < 0.3:
            words += [rng.choice(CONNECT)] + self.phrase(topic, rng.randint(2, 5))
            if rng.random() < 0.3:
                words += ["with", rng.choice(art["people"])]
        text = " ".join(words)
        text = text[0].upper() + text[1:]
        if rng.random() < 0.12:
            person = rng.choice(art["people"])
            return f"\u201c{text},\u201d {person} {rng.choice(REPORT_VERBS)}."
        return text + "."

    def article(self, index: int, n_sentences: int) -> tuple[str, dict, list[str]]:
        rng = self.rng
        year = rng.randint(2015, 2025)
        date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        art = {
            "year": year,
            "topic": [self.vocab[min(int(x), len(self.vocab) - 1)] for x in self.np.integers(150, len(self.vocab), 8)],
            "people": [self.people[int(self.np.integers(0, len(self.people)))] for _ in range(3)],
            "orgs": [rng.choice(self.orgs), rng.choice(self.agencies)],
            "places": [rng.choice(PLACES), rng.choice(PLACES)],
        }
        title = " ".join(w.capitalize() for w in self.phrase(art["topic"], rng.randint(3, 6)) if w not in FUNCTION)
        title = f"{art['places'][0]}: {title}"
        authors = [self.people[int(self.np.integers(0, len(self.people)))] for _ in range(rng.choice((1, 1, 2)))]
        sentences = [self.sentence(art) for _ in range(n_sentences)]
        paragraphs: list[str] = []
        i = 0
        while i < len(sentences):
            k = rng.choice((1, 2, 3, 3, 4))
            paragraphs.append(" ".join(sentences[i : i + k]))
            i += k
        authors_yaml = "[" + ", ".join(authors) + "]"
        text = (
            "---\n"
            f"title: \"{title}\"\n"
            f"date: {date.isoformat()}\n"
            f"authors: {authors_yaml}\n"
            f"source: {rng.choice(SOURCES)}\n"
            "---\n\n" + "\n\n".join(paragraphs) + "\n"
        )
        return text, art, sentences


_STOP = set("the a of in to and for on with by at from as that its their after because while although before since when".split())


def _question(gen: _Gen, sentence: str, art: dict) -> str:
    rng = gen.rng
    plain = sentence.replace("\u201c", "").replace("\u201d", "").rstrip(".")
    words = [w.strip(",.%$") for w in plain.split()]
    content = [w.lower() for w in words if w and w.lower() not in _STOP and w not in REPORT_VERBS
               and w[0].islower() and not w[0].isdigit()]
    rng.shuffle(content)
    picked = content[: rng.randint(2, 4)] or ["report"]
    names = [p for p in art["people"] if p in sentence]
    r = rng.random()
    topic = " ".join(picked)
    if names and r < 0.3:
        return f"What did {names[0]} say about the {topic}?"
    if r < 0.45:
        return f"When did the {topic} happen?"
    if r < 0.6:
        return f"How many {topic} were there?"
    if r < 0.7:
        return f"Why did the {topic} change?"
    if r < 0.8:
        return f"Who is behind the {topic}?"
    return f"What about the {topic}?"


def generate(out: Path | str, sentences: int, seed: int = 7, *, n_questions: int = 300,
             clean: bool = True, prefix: str = "article") -> Corpus:
    """Write articles totalling `sentences` body sentences into `out`; return them and questions."""
    out = Path(out)
    if clean and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab_size = int(min(120_000, max(4_000, 2_000 + sentences ** 0.75 * 4)))
    gen = _Gen(seed, vocab_size)
    files: list[Path] = []
    written = 0
    n_articles_est = max(1, sentences // 30)
    q_rate = min(1.0, 2.0 * n_questions / n_articles_est)
    pool: list[tuple[str, dict]] = []
    index = 0
    while written < sentences:
        n = min(sentences - written, max(3, int(gen.np.normal(30, 10))))
        text, art, sents = gen.article(index, n)
        path = out / f"{prefix}-{index:06d}.md"
        path.write_text(text, encoding="utf-8")
        files.append(path)
        if gen.rng.random() < q_rate:
            for s in gen.rng.sample(sents, min(3, len(sents))):
                pool.append((s, art))
        written += n
        index += 1
    qrng = random.Random(seed + 1)
    qrng.shuffle(pool)
    questions: list[str] = []
    n_common = n_questions // 10
    n_missing = n_questions // 20
    for s, art in pool[: n_questions - n_common - n_missing]:
        questions.append(_question(gen, s, art))
    common = [w for w in gen.vocab[:40] if w not in ("said",)]
    for _ in range(n_common):  # very common words: the longest postings lists
        questions.append("What did officials say about the " + " ".join(qrng.sample(common, 3)) + "?")
    missing = _synthetic_vocabulary(random.Random(seed + 2), n_missing * 2, set(gen.vocab))
    for i in range(n_missing):
        questions.append(f"What is the {missing[2 * i]} {missing[2 * i + 1]}?")
    qrng.shuffle(questions)
    return Corpus(out, files, written, questions)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", default="10k")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    ap.add_argument("--questions", type=int, default=300)
    args = ap.parse_args(argv)
    corpus = generate(args.out, parse_size(args.sentences), args.seed, n_questions=args.questions)
    qpath = Path(args.out).parent / (Path(args.out).name + ".questions.json")
    qpath.write_text(json.dumps(corpus.questions, indent=0), encoding="utf-8")
    print(f"{len(corpus.files)} articles, {corpus.sentences} sentences in {corpus.folder}; questions: {qpath}")


if __name__ == "__main__":
    main()
