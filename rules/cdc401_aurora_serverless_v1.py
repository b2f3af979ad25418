"""CDC401: the Aurora cluster is Serverless v1, which cannot do logical replication."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note
from audit.remedy.aws_cli import Target, aws_step
from rules._aws_facts import aws_facts_for


@rule(
    code="CDC401",
    name="aurora-serverless-v1",
    severity=Severity.CRITICAL,
    requires=(),
)
def aurora_serverless_v1(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The Aurora cluster is Serverless v1, which does not support logical replication.

    ## What it checks
    `describe_db_clusters` reports `EngineMode = serverless` for an Aurora Serverless v1
    cluster. Serverless v2 clusters report `provisioned` (with
    `ServerlessV2ScalingConfiguration` and `db.serverless` instances) and pass. On a
    self-managed server with no AWS target the rule passes: there is no control plane to check.

    ## Why it matters for CDC
    Aurora Serverless v1 does not support PostgreSQL logical replication, and AWS DMS cannot
    run CDC from it: no connector can start, whatever the parameter group says. Serverless v1
    reached end of life on 31 March 2025 and remaining clusters are being migrated by AWS
    during maintenance windows, so the engine mode can change under you.

    ## How to fix
    Convert the cluster to provisioned (then add `db.serverless` instances for Serverless
    v2), or restore a snapshot into a provisioned or Serverless v2 cluster, and run the audit
    again on the new cluster.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless.modifying.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.upgrade.html
    """
    aws = aws_facts_for(facts)
    if aws is None or aws.cluster is None:
        return
    cluster = aws.cluster
    if cluster.engine_mode is None:
        raise NotEvaluated(f"cluster {cluster.identifier}: describe_db_clusters gave no EngineMode")
    if cluster.engine_mode != "serverless":
        return
    yield Finding(
        subject=f"cluster:{cluster.identifier}",
        message=(
            f"cluster {cluster.identifier} is Aurora Serverless v1 (EngineMode=serverless), "
            "which cannot do logical replication"
        ),
        evidence={
            "engine_mode": cluster.engine_mode,
            "engine": cluster.engine,
            "engine_version": cluster.engine_version,
        },
        fix=Fix.of(
            aws_step(
                Target.of(aws, aurora=True),
                (
                    "rds",
                    "modify-db-cluster",
                    "--db-cluster-identifier",
                    cluster.identifier,
                    "--engine-mode",
                    "provisioned",
                    "--allow-engine-mode-change",
                    "--db-cluster-instance-class",
                    "<instance-class>",
                    "--apply-immediately",
                ),
                ChangeWindow.COORDINATION,
                engine_mode=cluster.engine_mode,
            ),
            note(
                "then add db.serverless instances for Serverless v2, and audit again",
                ChangeWindow.COORDINATION,
            ),
        ),
    )
