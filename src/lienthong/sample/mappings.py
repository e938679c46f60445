"""Mapping files written beside the sector files (the format of lienthong.ingest.mapping):
source column → standard field, and the transforms each field needs."""

from __future__ import annotations

from typing import Any

# Clerks write dates as dd/mm/yyyy or ISO; the date transform tries these formats in order.
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
# The old land register is pre-2025 throughout: every code is re-keyed, 2025-looking ones too.
REKEY = {"rekey": {"from": "pre2025", "to": "2025", "all": True}}

LAND_HEADERS = {
    "commune_code": "Mã xã",
    "map_sheet": "Số tờ bản đồ",
    "parcel_number": "Số thửa",
    "area_m2": "Diện tích (m2)",
    "land_use_type": "Loại đất",
    "holder_id": "Số định danh/MST chủ sử dụng",
    "holder_name": "Tên chủ sử dụng",
    "holder_birth_date": "Ngày sinh chủ sử dụng",
    "holder_birth_year": "Năm sinh chủ sử dụng",
}


def citizen_mapping(fields: list[str]) -> dict[str, Any]:
    return {
        "columns": {name: name for name in fields},
        "transforms": {"date_of_birth": [{"date": DATE_FORMATS}]},
    }


def lapsed_cards_mapping(fields: list[str]) -> dict[str, Any]:
    """Cards that started before the reform carry pre-2025 codes: re-key those only."""
    when = {"date_field": "valid_from", "before": "2025-07-01"}
    return {
        "columns": {name: name for name in fields},
        "transforms": {
            "commune_code": [{"rekey": {"from": "pre2025", "to": "2025", "when": when}}]
        },
    }


def land_mapping() -> dict[str, Any]:
    """Vietnamese headers; commune codes of the old register re-keyed to 2025 codes; the
    holder's birth date as the clerk wrote it."""
    return {
        "columns": {header: field for field, header in LAND_HEADERS.items()},
        "transforms": {"commune_code": [REKEY], "holder_birth_date": [{"date": DATE_FORMATS}]},
    }
