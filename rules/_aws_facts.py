"""When an AWS rule runs, passes or is not evaluated.

A 4xx rule does not declare ``requires=("aws",)``: that would list every AWS rule as "could
not check" on a self-managed server, which is noise. Instead it calls :func:`aws_facts_for`:

- AWS facts were collected: the rule checks them;
- an AWS target was given but could not be read (an ``aws`` / ``aws.*`` collection issue), or
  the server says it is RDS or Aurora but no AWS facts exist: the rule is not evaluated;
- the server is plainly self-managed and no AWS target was given: there is no control plane
  to check, and the rule passes (``None``).
"""

from __future__ import annotations

from audit.engine.rule import NotEvaluated
from audit.facts import CollectionIssue, Facts
from audit.facts.aws import AwsFacts


def aws_issue(facts: Facts) -> CollectionIssue | None:
    """The collection issue that stopped AWS collection as a whole, else any AWS issue."""
    issues = [i for i in facts.issues if i.family == "aws" or i.family.startswith("aws.")]
    return next((i for i in issues if i.family == "aws"), issues[0] if issues else None)


def aws_facts_for(facts: Facts) -> AwsFacts | None:
    """The AWS facts a rule checks, or ``None`` for a self-managed server (the rule passes).

    Raises :class:`NotEvaluated` when the target is (or was named as) RDS or Aurora and its
    control plane could not be read.
    """
    if facts.aws is not None:
        return facts.aws
    issue = aws_issue(facts)
    if issue is not None:
        raise NotEvaluated(f"AWS control plane not read: {issue.reason}")
    if facts.server is None:
        raise NotEvaluated("server identity unknown: cannot tell whether it is RDS or Aurora")
    if facts.platform.is_managed:
        raise NotEvaluated(
            f"the server is {facts.platform.engine} but the AWS control plane was not read: "
            "pass --aws-region (and --aws-cluster-id or --aws-instance-id if the host is not "
            "an RDS endpoint)"
        )
    return None
