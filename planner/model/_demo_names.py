"""Word lists and generated attributes of the demo's accounts, people and CRM records.

Names deliberately include CJK companies and people and awkward strings (quotes, ``<``, ``&``,
formula leaders) so every display and export path meets them (see :mod:`planner.model.demo`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from numpy.typing import NDArray


def _words(text: str, sep: str | None = None) -> NDArray[np.object_]:
    return np.array(text.split(sep), dtype=object)


# -- generated attributes ------------------------------------------------------------------
INDUSTRIES = {  # industry: (weight, nouns used in company names)
    "Manufacturing": (14, "Manufacturing|Fabrication|Machine Works"),
    "Logistics": (10, "Logistics|Freight|Transport"),
    "Construction": (10, "Construction|Builders|Contracting"),
    "Healthcare": (9, "Medical|Health|Clinics"),
    "Retail": (11, "Supply|Outfitters|Mercantile"),
    "Food & Beverage": (8, "Foods|Provisions|Brewing"),
    "Agriculture": (6, "Farms|Agri|Growers"),
    "Automotive": (7, "Motors|Auto Parts|Collision"),
    "Energy": (5, "Energy|Power|Solar"),
    "Technology": (8, "Systems|Software|Networks"),
    "Hospitality": (6, "Hospitality|Inns|Catering"),
    "Professional Services": (6, "Consulting|Advisors|Partners"),
}
PREFIXES = _words(
    "Peachtree|Magnolia|Blue Ridge|Gulf Coast|Pinecrest|Riverbend|Summit|Cypress|Palmetto|Oakwood|"
    "Harbor|Red Clay|Cumberland|Piedmont|Delta|Bayou|Lakeside|Ironwood|Granite|Sunbelt|Live Oak|"
    "Tidewater|Longleaf|Chattahoochee|Appalachian|Heritage|Liberty|Pioneer|Keystone|Crescent",
    "|",
)
SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green "
    "Baker Adams Nelson Hill Campbell Mitchell Carter Roberts Garcia Martinez Rodriguez Lopez "
    "Nguyen Patel Kim Reed Cook Morgan Bell Murphy Bailey Rivera Cooper Howard Ward Brooks"
)
FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Maria Ashley Carlos Ana Kevin Emily Brian Michelle Jamal Aisha Wei Priya"
)
SUFFIXES = _words("LLC Inc. Co. Corp. Group LLC Inc. Ltd.")
STREETS = _words("Main Oak Pine Maple Cedar Elm Peachtree Church Market Park Lake Hill Mill River")
STREET_KINDS = _words("St Ave Rd Blvd Dr Pkwy Hwy Ln")
CN_COMPANY = (
    _words("华美 东方 金龙 长城 新亚 中天 宏达 恒通"),
    _words("贸易 物流 电子 食品 机械 科技"),
)
JP_COMPANY = (_words("山田 佐藤 鈴木 高橋 田中 渡辺"), _words("精工 商事 物産 電機 製作所 工業"))
CJK_PEOPLE = _words("王伟 李娜 张敏 刘洋 山田太郎 佐藤花子 鈴木一郎 高橋美咲")
#: Names that make every screen, popup and export prove it escapes user text.
AWKWARD_NAMES = (
    "Smith & Sons <Holdings>",
    "O'Neil \"Quality\" Tools & Dies",
    "A&B <Fabrication> LLC",
    "Tom's \"Best\" BBQ & Catering",
    "<b>Bold</b> Signs & Graphics",
    "Lee & Park <script>alert('x')</script> Supply",
)  # fmt: skip
SEGMENTS = _words("Enterprise Mid-market SMB")
STATUSES = _words("prospect customer partner")
VISITS = np.array([24.0, 12.0, 4.0])  # per year, by segment (prospects half)
MINUTES = np.array([90.0, 60.0, 45.0])  # per visit, by segment


def account_attributes(
    rng: np.random.Generator, city: NDArray[np.object_]
) -> dict[str, NDArray[Any]]:
    """Names, address, industry, segment, status, money and service needs of accounts.

    Potential is lognormal (median ~$60k); the segment follows it (Enterprise >= $400k,
    Mid-market >= $100k). About 3 % of names are Chinese or Japanese and a handful carry
    ``& < > ' "``, so encodings and escaping are exercised wherever names are shown.
    """
    n = len(city)
    inds = list(INDUSTRIES)
    w = np.array([INDUSTRIES[k][0] for k in inds], dtype=float)
    ind = rng.choice(len(inds), size=n, p=w / w.sum())
    potential = np.round(rng.lognormal(np.log(60_000), 1.0, n), -2) + 1000
    seg = np.where(potential >= 400_000, 0, np.where(potential >= 100_000, 1, 2))
    status = rng.choice(3, size=n, p=[0.50, 0.45, 0.05])
    share = np.where(status == 1, rng.uniform(0.1, 0.8, n), rng.uniform(0.0, 0.3, n))
    r = rng.integers(0, 1 << 30, size=(6, n))
    nouns = np.array([INDUSTRIES[k][1].split("|") for k in inds], dtype=object)[ind, r[0] % 3]
    s1, s2 = SURNAMES[r[3] % len(SURNAMES)], SURNAMES[r[4] % len(SURNAMES)]
    suffix = " " + SUFFIXES[r[1] % len(SUFFIXES)]
    kind = r[2] % 4
    names = np.select(
        [kind == 0, kind == 1, kind == 2],
        [PREFIXES[r[3] % len(PREFIXES)] + " " + nouns + suffix, s1 + " " + nouns + suffix,
         s1 + " & " + s2 + " " + nouns],
        city + " " + nouns + " Co.",
    )  # fmt: skip
    cjk = rng.random(n) < 0.03
    cn, jp = cjk & (r[5] % 2 == 1), cjk & (r[5] % 2 == 0)
    names[cn] = CN_COMPANY[0][r[3][cn] % 8] + CN_COMPANY[1][r[4][cn] % 6] + "有限公司"
    names[jp] = JP_COMPANY[0][r[3][jp] % 6] + JP_COMPANY[1][r[4][jp] % 6] + "株式会社"
    awkward = rng.choice(n, size=min(n, max(6, n // 5000)), replace=False)
    names[awkward] = np.resize(np.array(AWKWARD_NAMES, dtype=object), len(awkward))
    cjk[awkward] = False
    street = STREETS[r[3] % len(STREETS)] + " " + STREET_KINDS[r[1] % len(STREET_KINDS)]
    return {
        "name": names,
        "address": (100 + r[4] % 9800).astype(str).astype(object) + " " + street,
        "industry": np.array(inds, dtype=object)[ind],
        "segment": SEGMENTS[seg],
        "status": STATUSES[status],
        "potential": potential,
        "revenue": np.where(status == 0, 0.0, np.round(potential * share, -2)),
        "visits": np.where(status == 0, VISITS[seg] / 2, VISITS[seg]),
        "minutes": MINUTES[seg],
        "cjk": cjk,
    }


SKILLS = _words("Negotiation|Key accounts|New business|Technical sales|Service contracts", "|")


DM_ROLES = _words("CEO|Owner|VP Operations|Procurement Director|General Manager", "|")
ROLES = _words("Plant manager|Buyer|Office manager|Maintenance lead|Accounts payable|Engineer", "|")
STAGES = _words("Prospecting Qualification Proposal Negotiation Closed-Won Closed-Lost")
STAGE_P = (0.2, 0.2, 0.15, 0.1, 0.2, 0.15)
OPP_KINDS = _words(
    "Annual supply agreement|Service contract renewal|Fleet expansion|New line installation|"
    "Pilot project|Upgrade package|Maintenance plan",
    "|",
)
NEXT_STEPS = _words(
    "Send revised quote|Site visit with plant manager|Demo for the buying team|"
    "Confirm budget with finance|Legal review of contract|Call back after trade show",
    "|",
)
ACT_TYPES = _words("Call Visit Email Meeting")
ACT_TEXT = _words("Follow-up call about|On-site visit:|Sent information on|Meeting to review", "|")
TOPICS = _words(
    "pricing for next year|delivery delays|new product line|service levels|contract renewal|"
    "a competitor's offer|open invoices|expansion plans",
    "|",
)


def email_domains(names: NDArray[np.object_]) -> NDArray[np.object_]:
    """E-mail domains from company names: first two Latin words ('account' if none)."""
    text = re.sub(r"[^a-z0-9\n]+", "-", "\n".join(names.tolist()).lower())
    parts = [line.strip("-").split("-")[:2] for line in text.split("\n")]
    return np.array([("-".join(p) or "account") + ".example" for p in parts], dtype=object)
