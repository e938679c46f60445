"""Businesses of the province: enterprises, cooperatives and household businesses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lienthong.sample.communes import Province
from lienthong.sample.identifiers import tax_codes
from lienthong.sample.people import REFERENCE_DATE, Population
from lienthong.sample.truth import SourceFile

PERSONS_PER_BUSINESS = 20
BRANCH_SHARE = 0.06
WEBSITE_SHARE = 0.6

# Codes of the `legal-form` code list with their shares and the name each form is written with.
LEGAL_FORMS = (
    ("TNHH1", 0.33, "Công ty TNHH MTV"), ("TNHH2", 0.2, "Công ty TNHH"),
    ("CP", 0.15, "Công ty Cổ phần"), ("DNTN", 0.1, "Doanh nghiệp tư nhân"),
    ("HTX", 0.05, "Hợp tác xã"), ("HKD", 0.15, "Hộ kinh doanh"), ("HD", 0.01, "Công ty Hợp danh"),
    ("DNNN", 0.01, "Công ty TNHH MTV Nhà nước"),
)  # fmt: skip
STATUSES = (("active", 0.8), ("suspended", 0.08), ("dissolving", 0.03), ("dissolved", 0.07),
            ("revoked", 0.02))  # fmt: skip
TRADES = ("Thương mại và Dịch vụ", "Xây dựng", "Sản xuất", "Đầu tư", "Vận tải", "Công nghệ",
          "May mặc", "Thực phẩm", "Cơ khí", "Nông sản", "Vật liệu", "Dược phẩm")  # fmt: skip
BRANDS = ("Hưng Thịnh", "Phú Cường", "An Phát", "Minh Long", "Thành Công", "Hoàng Gia",
          "Việt Hưng", "Đại Phát", "Tân Tiến", "Phúc An", "Kim Ngân", "Hải Đăng", "Sao Mai",
          "Trường Thành", "Bảo Minh", "Nhãn Lồng", "Phố Hiến", "Thái Hà", "Đông Á", "Lạc Hồng",
          "Hồng Hà", "Vạn Xuân", "Thiên Long", "Quang Minh")  # fmt: skip
# Tax-code prefixes of the two former provinces (Hưng Yên 09, Thái Bình 10).
TAX_PREFIX = {"33": "09", "34": "10"}


@dataclass
class Businesses:
    file: SourceFile
    commune: list[str]
    name: list[str]
    tax_code: list[str]
    entity: list[str]


def _name(form: int, rng: np.random.Generator, owner: str, place: str) -> str:
    prefix = LEGAL_FORMS[form][2]
    code = LEGAL_FORMS[form][0]
    if code == "HKD":
        return f"{prefix} {owner}"
    if code == "HTX":
        return f"{prefix} Nông nghiệp {place}"
    trade = TRADES[int(rng.integers(0, len(TRADES)))]
    brand = BRANDS[int(rng.integers(0, len(BRANDS)))]
    return f"{prefix} {trade} {brand}"


def make_businesses(
    rng: np.random.Generator, pop: Population, place: Province, name: str
) -> Businesses:
    adults = np.flatnonzero(np.array([(REFERENCE_DATE - b).days > 22 * 365 for b in pop.birth]))
    count = max(10, len(pop) // PERSONS_PER_BUSINESS)
    reps = rng.choice(adults, size=count, replace=len(adults) < count)
    by_code = {c.code: c for c in place.communes}
    forms = rng.choice(len(LEGAL_FORMS), size=count, p=[f[1] for f in LEGAL_FORMS])
    statuses = rng.choice(len(STATUSES), size=count, p=[s[1] for s in STATUSES])
    websites = rng.random(count) < WEBSITE_SHARE
    days = rng.integers(0, (date(2025, 6, 30) - date(1995, 1, 1)).days, size=count)
    communes = [pop.commune[int(r)] for r in reps]
    codes = tax_codes(rng, [TAX_PREFIX.get(by_code[c].old_province, "09") for c in communes])
    rows: list[tuple[str, str, str, str, str, str, str, str]] = []
    entity: list[str] = []
    for k in range(count):
        rep = int(reps[k])
        commune = by_code[communes[k]]
        rows.append(
            (
                codes[k],
                _name(int(forms[k]), rng, pop.full_name[rep], commune.name),
                LEGAL_FORMS[int(forms[k])][0],
                (date(1995, 1, 1) + timedelta(days=int(days[k]))).isoformat(),
                commune.code,
                STATUSES[int(statuses[k])][0],
                pop.personal_id[rep],
                "true" if websites[k] else "false",
            )
        )
        entity.append(f"B{k + 1:06d}")
    # A few companies have a branch: the parent's code with a -NNN suffix, its own record.
    for k in np.flatnonzero(rng.random(count) < BRANCH_SHARE).tolist():
        parent = rows[k]
        if LEGAL_FORMS[int(forms[k])][0] in ("HKD", "DNTN"):
            continue
        rows.append((f"{parent[0]}-001", f"Chi nhánh {parent[1]}", *parent[2:]))
        entity.append(f"B{len(entity) + 1:06d}")
    columns = ("tax_code", "name", "legal_form", "registration_date", "commune_code", "status",
               "representative_id", "has_website")  # fmt: skip
    file = SourceFile(
        name=name,
        standard="business",
        columns={c: [r[i] for r in rows] for i, c in enumerate(columns)},
        entity=list(entity),
    )
    return Businesses(
        file=file,
        commune=[r[4] for r in rows],
        name=[r[1] for r in rows],
        tax_code=[r[0] for r in rows],
        entity=entity,
    )
