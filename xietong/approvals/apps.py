from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "xietong.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # A resource decision's leadership approval runs on the engine (approvals.resources):
        # records never imports the approvals.
        from xietong.core.events import reactions

        from . import policies, resources

        reactions.connect("decision.created", resources.on_decision_created)
        reactions.connect("decision.approved", resources.on_decision_answered)
        reactions.connect("decision.rejected", resources.on_decision_answered)
        reactions.connect("approval.approved", resources.on_approval_approved)
        reactions.connect("approval.rejected", resources.on_approval_rejected)
        reactions.connect("policy.version_drafted", policies.on_version_drafted)
        reactions.connect("approval.approved", policies.on_approval_approved)
        reactions.connect("approval.rejected", policies.on_approval_rejected)
