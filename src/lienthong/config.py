"""Settings: one object, read from the environment (prefix ``LIENTHONG_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_TOKENS = frozenset(
    {"", "changeme", "change-me", "secret", "token", "operator", "admin"}
)


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every setting of the platform; each is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    environment: Environment = Field(
        Environment.production,
        description="development, test or production; production refuses unsafe settings.",
    )
    data_dir: Path = Field(Path("data"), description="Where the embedded database and keys live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; unset means the embedded SQLite file in data_dir."
    )
    auto_upgrade: bool | None = Field(
        None,
        description="Apply migrations on start; unset means yes for SQLite, no for other engines.",
    )
    operator_token: SecretStr | None = Field(
        None,
        description="Bearer token for management endpoints (random, at least 128 bits).",
    )
    host: str = Field("127.0.0.1", description="Address `lienthong serve` listens on.")
    port: int = Field(8000, description="Port `lienthong serve` listens on.")
    workers: int = Field(1, description="Server processes for `lienthong serve`.")
    max_body_bytes: int = Field(1_048_576, description="Largest accepted JSON request body.")
    max_upload_bytes: int = Field(
        1_073_741_824, description="Largest accepted file upload (streamed endpoints)."
    )
    db_pool_size: int = Field(10, description="Connections kept open per process (not SQLite).")
    sqlite_synchronous: Literal["full", "normal"] = Field(
        "full",
        description="Embedded SQLite: full syncs every commit to disk (survives power loss); "
        "normal is faster and may lose the last commits.",
    )
    ingest_yields_to_audit: bool = Field(
        True,
        description="Embedded SQLite: an ingest lets waiting audit writers commit before each of "
        "its transactions, so reads wait for one chunk at most; false restores the earlier "
        "behaviour (for comparison). No effect on PostgreSQL.",
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    open_docs: bool | None = Field(
        None, description="Serve /docs and /openapi.json; unset means yes except in production."
    )
    open_metrics: bool | None = Field(
        None,
        description="Serve /metrics without the operator token; unset means yes except in "
        "production.",
    )
    token_keys_dir: Path | None = Field(
        None, description="Ed25519 token keys (<kid>.pem); unset means data_dir/keys/tokens."
    )
    token_signing_kid: str | None = Field(
        None, description="Key id that signs new tokens; unset means the newest key."
    )
    token_algorithm: Literal["ES256", "RS256", "EdDSA"] | None = Field(
        None,
        description="Algorithm of new token keys and of the key that signs: ES256, RS256 or "
        "EdDSA; unset means the newest key's (ES256 when there is none).",
    )
    public_url: str | None = Field(
        None,
        description="The deployment's public base URL (https://…): the tokens' issuer and the "
        "base of the authorization server metadata; unset means http://HOST:PORT.",
    )
    token_audience: str | None = Field(
        None,
        description="The resource server identifier put in tokens' aud and checked; unset "
        "means PUBLIC_URL/api/v1.",
    )
    mtls: bool = Field(
        False,
        description="Offer mutual-TLS client authentication (tls_client_auth) and verify "
        "certificate-bound tokens on every call (RFC 8705).",
    )
    mtls_proxy_header: str | None = Field(
        None,
        description="Header in which a TLS-terminating proxy passes the client certificate "
        "(URL-encoded PEM, e.g. X-Client-Cert); read only from MTLS_TRUSTED_PROXIES.",
    )
    mtls_trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of the proxies whose client-certificate header is believed.",
    )
    tls_certfile: Path | None = Field(
        None, description="`lienthong serve` answers HTTPS with this certificate (PEM)."
    )
    tls_keyfile: Path | None = Field(None, description="Private key of TLS_CERTFILE (PEM).")
    tls_client_ca_file: Path | None = Field(
        None,
        description="CA certificates that client certificates must chain to when "
        "`lienthong serve` terminates TLS itself (asked, not required).",
    )
    federation_fetch_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for a peer instance's JWKS or API answer."
    )
    federation_refresh_seconds: float = Field(
        30.0,
        ge=0,
        description="Shortest interval between two fetches of one peer's JWKS caused by a "
        "token signed with a key id it did not publish before.",
    )
    federation_leeway_seconds: int = Field(
        30, ge=0, le=300, description="Clock difference allowed on a peer's token exp/iat/nbf."
    )
    federation_system: str | None = Field(
        None,
        description="ORGANISATION/SYSTEM of the local system that calls peers: our tokens for "
        "a peer are issued to it (`lienthong federation call`).",
    )
    federation_credentials_file: Path | None = Field(
        None,
        description="JSON file {peer name: {client_id, client_secret}}: credentials issued to "
        "us by a peer; a peer named there is called with a token from its own /oauth/token.",
    )
    token_ttl_seconds: int = Field(
        300, description="Lifetime of an access token in seconds (at most 3600)."
    )
    rate_limit_per_second: float = Field(
        100.0, description="Data requests per second allowed to one system (token bucket)."
    )
    rate_limit_burst: int = Field(200, description="Burst size of a system's token bucket.")
    audit_signing_key_file: Path | None = Field(
        None, description="Ed25519 key signing audit checkpoints; unset means data_dir/keys."
    )
    audit_subject_key: SecretStr | None = Field(
        None, description="HMAC key for personal IDs in the audit log; unset means a key file."
    )
    cursor_key: SecretStr | None = Field(
        None, description="Secret sealing pagination cursors; unset means a key file."
    )
    master_id_key: SecretStr | None = Field(
        None, description="HMAC key naming master records; unset means a key file."
    )
    audit_checkpoint_every: int = Field(1000, description="Audit entries between checkpoints.")
    audit_checkpoint_seconds: float = Field(
        60.0, description="Longest time between audit checkpoints while entries arrive."
    )
    audit_batch_max: int = Field(1000, description="Most audit entries in one group commit.")
    audit_checkpoint_file: Path | None = Field(
        None,
        description="Where signed audit checkpoints are published (one JSON line each); "
        "unset means data_dir/audit-checkpoints.jsonl.",
    )
    max_header_bytes: int = Field(8192, description="Largest accepted request header (name+value).")
    max_headers_bytes: int = Field(32768, description="Largest accepted request headers in all.")
    source_refusal_limit: int = Field(
        100,
        description="Refused answers (401, 431, failed token requests) one source address may "
        "get per window before it is answered 429 without any work; 0 turns the limit off.",
    )
    source_refusal_window_seconds: float = Field(
        60.0, description="Window of the per-address refusal limit, in seconds."
    )
    signin_issuer: str | None = Field(
        None,
        description="OpenID Connect issuer URL of the province's identity provider (provincial "
        "SSO or VNeID); unset turns people's sign-in off.",
    )
    signin_client_id: str | None = Field(
        None, description="Client id the identity provider registered for this platform."
    )
    signin_client_secret: SecretStr | None = Field(
        None, description="Client secret; unset means a public client (PKCE alone)."
    )
    signin_redirect_url: str | None = Field(
        None,
        description="This platform's callback as registered at the provider, e.g. "
        "https://lienthong.example.gov.vn/signin/callback.",
    )
    signin_scopes: str = Field(
        "openid profile", description="Scopes asked for at sign-in, space-separated."
    )
    signin_personal_id_claim: str = Field(
        "personal_id",
        description="The claim (ID token or userinfo) that carries the citizen's personal ID.",
    )
    signin_session_seconds: int = Field(
        28800, description="Lifetime of a person's session in seconds (default 8 hours)."
    )
    signin_after_url: str = Field(
        "/console/", description="Where the browser goes once signed in (a path of ours)."
    )
    signin_post_logout_url: str | None = Field(
        None,
        description="Where the provider sends the browser after logging out there (registered "
        "at the provider); unset means its own page.",
    )
    signin_timeout_seconds: float = Field(
        10.0, description="Longest wait for one answer of the identity provider."
    )
    dev_signin: bool = Field(
        False,
        description="Development only: the console's sign-in page lists the sample people to "
        "sign in as with one click (refused unless LIENTHONG_ENVIRONMENT=development).",
    )

    linkage_backend: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Where linkage scores pairs: duckdb (in process) or spark (the spark extra).",
    )
    spark_master: str = Field(
        "local[2]", description="Spark master URL when LINKAGE_BACKEND is spark."
    )
    spark_checkpoint_dir: str | None = Field(
        None,
        description="Where Spark writes Splink's intermediate tables (a path every executor "
        "reaches); unset keeps them in Spark's memory.",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict, description="More Spark properties, as a JSON object."
    )
    changes_worker: bool = Field(
        False,
        description="Deliver change events from a background task of the API process",
    )
    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        description="NATS server that carries change events to JetStream subscribers",
    )

    soc_syslog_target: str | None = Field(
        None,
        description="The SIEM's syslog receiver, tcp://host:port or tls://host:port: set, the "
        "server forwards every audit entry to it (RFC 5424, octet-counted) in the background.",
    )
    soc_syslog_ca_file: Path | None = Field(
        None,
        description="CA certificates (PEM) that verify a tls:// receiver; unset: the system's.",
    )
    soc_syslog_hostname: str | None = Field(
        None, description="HOSTNAME of the syslog messages; unset: this machine's name."
    )
    soc_syslog_enterprise_id: int = Field(
        32473,
        description="Private enterprise number in the structured data's SD-IDs (audit@N, "
        "alert@N); the default is RFC 5612's number for documentation.",
    )
    soc_syslog_batch: int = Field(
        500,
        description="Most audit entries the forwarder sends before waiting for acknowledgement.",
    )
    soc_connection_interval_seconds: int = Field(
        3600,
        description="How long a system may stay silent before it counts as silent, unless its "
        "own expected interval is set.",
    )
    providers_breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures of a provider service that open its breaker."
    )
    providers_breaker_open_seconds: float = Field(
        30.0, gt=0, description="How long an open breaker refuses calls before a trial call."
    )
    providers_probe_seconds: float = Field(
        0.0, ge=0, description="Pause between two health probes of the provider services; 0: off."
    )
    providers_max_connections: int = Field(
        100, ge=1, description="Connections the proxy keeps open to provider services (per worker)."
    )
    async_reads: bool = Field(
        True,
        description="PostgreSQL: the read path awaits its statements on a pool of asynchronous "
        "connections (false: one blocking connection per worker, as before).",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server that sends alert e-mails; unset: e-mail targets fail."
    )
    smtp_port: int = Field(25, description="Port of SMTP_HOST.")
    smtp_sender: str = Field("lienthong@localhost", description="From address of alert e-mails.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP login, when the server asks one.")
    smtp_password: SecretStr | None = Field(None, description="Password of SMTP_USERNAME.")

    soc_watch: bool | None = Field(
        None,
        description="Run the detection rules and the chain verifier in the server process; "
        "unset: on, except in the test environment.",
    )
    soc_interval_seconds: float = Field(
        1.0, gt=0, description="Pause between two looks at the audit log when it is idle."
    )
    soc_batch: int = Field(5000, ge=1, description="Audit entries the rules read per step.")
    soc_utc_offset_hours: float = Field(
        7.0, description="The province's time (hours east of UTC) for hour-of-day rules."
    )

    @property
    def soc_watch_runs(self) -> bool:
        if self.soc_watch is None:
            return self.environment.value != "test"
        return self.soc_watch

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+pysqlite:///{(self.data_dir / 'lienthong.db').resolve()}"

    @property
    def docs_are_open(self) -> bool:
        if self.open_docs is None:
            return self.environment is not Environment.production
        return self.open_docs

    @property
    def metrics_are_open(self) -> bool:
        if self.open_metrics is None:
            return self.environment is not Environment.production
        return self.open_metrics

    @property
    def issuer(self) -> str:
        """The tokens' ``iss`` and the authorization server's identifier (RFC 8414)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def audience(self) -> str:
        return self.token_audience or f"{self.issuer}/api/v1"

    @property
    def operator_token_file(self) -> Path:
        return self.data_dir / "operator-token"


@lru_cache
def get_settings() -> Settings:
    return Settings()
