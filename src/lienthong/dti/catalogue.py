"""The platform facts an indicator may be estimated from: their keys, kinds and labels.

Kept apart from their measurement (facts.py) so that an indicator set can be checked without
touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FactInfo:
    key: str
    kind: str  # "share" (0..1) or "count"
    name_vi: str
    name_en: str
    source: str


FACTS: dict[str, FactInfo] = {
    f.key: f
    for f in (
        FactInfo(
            "registry.connected_share",
            "share",
            "Tỷ lệ cơ quan có hệ thống đã kết nối",
            "Share of organisations with a connected system",
            "registry: connection report",
        ),
        FactInfo(
            "public_services.full_online_share",
            "share",
            "Tỷ lệ thủ tục có dịch vụ công trực tuyến toàn trình",
            "Share of procedures offered fully online",
            "store: public_service",
        ),
        FactInfo(
            "public_services.online_application_share",
            "share",
            "Tỷ lệ hồ sơ nộp trực tuyến",
            "Share of applications received online",
            "store: public_service_monthly",
        ),
        FactInfo(
            "public_services.on_time_share",
            "share",
            "Tỷ lệ hồ sơ giải quyết đúng hạn",
            "Share of applications processed on time",
            "store: public_service_monthly",
        ),
        FactInfo(
            "public_services.online_payment_share",
            "share",
            "Tỷ lệ hồ sơ thanh toán trực tuyến",
            "Share of applications paid online",
            "store: public_service_monthly",
        ),
        FactInfo(
            "exchange.data_reads",
            "count",
            "Số lượt khai thác, chia sẻ dữ liệu",
            "Data requests answered through the sharing API",
            "audit log: data.read, data.list, data.lookup",
        ),
        FactInfo(
            "ingest.valid_row_share",
            "share",
            "Tỷ lệ bản ghi đạt chuẩn khi tích hợp",
            "Share of ingested rows that passed validation",
            "ingest batches",
        ),
    )
}
