"""Words the journal stores as codes and the pages translate: statuses, actions, outcomes,
roles, severities. Listed here so that message extraction finds them."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for extraction; the template translates it when shown."""
    return message


DYNAMIC_MESSAGES = (
    # statuses of runs and steps
    N_("running"),
    N_("succeeded"),
    N_("partial"),
    N_("failed"),
    N_("guarded"),
    N_("blocked"),
    N_("skipped"),
    N_("planned"),
    # outcomes of operations
    N_("applied"),
    N_("deferred"),
    # actions
    N_("create"),
    N_("update"),
    N_("rename"),
    N_("move"),
    N_("hide"),
    N_("show"),
    N_("suspend"),
    N_("reactivate"),
    N_("add"),
    N_("remove"),
    N_("delete"),
    N_("archive"),
    # roles
    N_("admin"),
    N_("scolarite"),
    N_("support"),
    # what explain shows, and the links of its chains of reasons
    N_("course"),
    N_("group"),
    N_("admin_registration"),
    N_("pedagogical_registration"),
    N_("element_nature"),
    N_("group_assignment"),
    N_("group_attached_to"),
    N_("left_out"),
    # anomalies: the rule, why it matters, how to fix it in Apogée
    N_("element_without_label"),
    N_("why:element_without_label"),
    N_("fix:element_without_label"),
    N_("label_too_long"),
    N_("why:label_too_long"),
    N_("fix:label_too_long"),
    N_("course_element_without_students"),
    N_("why:course_element_without_students"),
    N_("fix:course_element_without_students"),
    N_("etape_without_composante"),
    N_("why:etape_without_composante"),
    N_("fix:etape_without_composante"),
    N_("group_attached_to_nothing"),
    N_("why:group_attached_to_nothing"),
    N_("fix:group_attached_to_nothing"),
    N_("catalogue_cycle"),
    N_("why:catalogue_cycle"),
    N_("fix:catalogue_cycle"),
    N_("left_out_of_catalogue"),
    N_("why:left_out_of_catalogue"),
    N_("fix:left_out_of_catalogue"),
    N_("Anomaly"),
    N_("Composante"),
    N_("Code"),
    N_("Label"),
    N_("Detail"),
    N_("How to fix it"),
    # severities
    N_("info"),
    N_("warning"),
    N_("error"),
)
