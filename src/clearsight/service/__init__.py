"""Service: the deployment config, the service's context and use cases, and its composition.

``load_deployment_config(path, flags)`` reads the one ``DeploymentConfig``;
``build_service(config)`` composes the context (database, cipher, notifier, policies), the
camera workers and the link to the cluster; ``usecases`` holds what the web routes do (ingest,
decide, maintain...), each in one transaction; ``corrections`` the fixing of what was
entered; ``accounts`` signing in, set-up and API tokens; ``subject_access`` the privacy
officer's searches. The web package turns a context into routes and pages; the CLI parses flags.

The cluster link (NATS) is imported only by a service that joins the cluster:
``clearsight.service.cluster_link`` holds it, so importing this package loads no NATS client.
"""

from clearsight.service import accounts, corrections, subject_access, usecases
from clearsight.service._build import (
    Service,
    build_service,
    cluster_cipher,
    configured_enrolment,
    configured_model_id,
    require_encryption,
)
from clearsight.service._context import (
    EnrolledFaceLike,
    EnrollFunction,
    Hooks,
    ServiceContext,
    ServiceState,
    make_cipher,
)
from clearsight.service._example import config_reference, example_config
from clearsight.service._home import HomeCounts, home_counts
from clearsight.service._limits import LoginLimiter
from clearsight.service._load import (
    EffectiveSetting,
    FlagValue,
    Overrides,
    explain_config,
    load_deployment_config,
)
from clearsight.service._permissions import (
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    parse_scopes,
    powers_of,
    principal_of_session,
    principal_of_token,
)
from clearsight.service._settings import DeploymentConfig, ReviewSettings, ServiceSettings
from clearsight.service._startup import open_database, open_existing_database, prepare

__all__ = [
    "ROLE_PERMISSIONS",
    "DeploymentConfig",
    "EffectiveSetting",
    "EnrollFunction",
    "EnrolledFaceLike",
    "FlagValue",
    "HomeCounts",
    "Hooks",
    "LoginLimiter",
    "Overrides",
    "Permission",
    "Principal",
    "ReviewSettings",
    "Service",
    "ServiceContext",
    "ServiceSettings",
    "ServiceState",
    "accounts",
    "build_service",
    "cluster_cipher",
    "config_reference",
    "configured_enrolment",
    "configured_model_id",
    "corrections",
    "example_config",
    "explain_config",
    "home_counts",
    "load_deployment_config",
    "make_cipher",
    "open_database",
    "open_existing_database",
    "parse_scopes",
    "powers_of",
    "prepare",
    "principal_of_session",
    "principal_of_token",
    "require_encryption",
    "subject_access",
    "usecases",
]
