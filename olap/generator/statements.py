"""JSONL text of Torus xAPI statements, built from string templates.

Each function returns one line without its newline, in the serialization Torus uses
(Jason: keys in sorted byte order, no spaces, floats written as floats). Templates are
used because json.dumps per statement costs more than the rest of the generator.
Arguments ending in `_json` must already be JSON text; every other string argument must
need no escaping (ids, UUIDs, digits, URLs and timestamps do not).

`statement_id` is "" for a statement without an `id`, as Torus sends them, or a UUID.

NOTE: only the current emitter shapes are built. The optional experiment_attributions
extension, statements without enrollment_id, and null project or publication ids that
Torus also sends never appear in generated data.
"""

from __future__ import annotations

OLI = "http://oli.cmu.edu/extensions/"
VIDEO = "https://w3id.org/xapi/video/extensions/"
COMPLETED_VERB = '"verb":{"display":{"en-US":"completed"},"id":"http://adlnet.gov/expapi/verbs/completed"}}'
VIEWED_VERB = '"verb":{"display":{"en-US":"viewed"},"id":"http://id.tincanapi.com/verb/viewed"}}'
VIDEO_CATEGORY = '"contextActivities":{"category":[{"id":"https://w3id.org/xapi/video"}]}'


def actor(home_page: str, user_id: int) -> str:
    """Build the `"actor":…,` opening of a statement, with the user id as a JSON integer as Torus writes it."""
    return f'{{"actor":{{"account":{{"homePage":"{home_page}","name":{user_id}}},"objectType":"Agent"}},'


def id_member(statement_id: str) -> str:
    return f'"id":"{statement_id}",' if statement_id else ""


def score(raw: float, out_of: float) -> str:
    # Torus writes scaled 0.0 when out_of is 0.0 rather than dividing by zero.
    scaled = raw / out_of if out_of else 0.0
    return f'"score":{{"max":{out_of!r},"min":0,"raw":{raw!r},"scaled":{scaled!r}}}'


def attempt_members(activity_attempt_guid: str, attempt_number: int, activity_id: int, revision_id: int) -> str:
    """Context members that open part and activity attempt extensions, with a trailing comma."""
    return (
        f'"{OLI}activity_attempt_guid":"{activity_attempt_guid}","{OLI}activity_attempt_number":{attempt_number},'
        f'"{OLI}activity_id":{activity_id},"{OLI}activity_revision_id":{revision_id},'
    )


def page_members(page_attempt_guid: str, page_attempt_number: int, page_id: int) -> str:
    """Page attempt context members of part and activity attempts, with a trailing comma."""
    return f'"{OLI}page_attempt_guid":"{page_attempt_guid}","{OLI}page_attempt_number":{page_attempt_number},"{OLI}page_id":{page_id},'


def scope_members(project_id: int, publication_id: int, section_id: int) -> str:
    """Project, publication and section context members, without a trailing comma."""
    return f'"{OLI}project_id":{project_id},"{OLI}publication_id":{publication_id},"{OLI}section_id":{section_id}'


# Part and activity attempts take their context as the members above, built once per
# activity attempt, page visit and session, because they repeat across many statements.
def part_attempt(
    actor_json: str, statement_id: str, host: str, attempt_json: str, objectives_json: str, enrollment_id: int,
    hints_json: str, page_json: str, part_attempt_guid: str, attempt_number: int, part_id: str, scope_json: str,
    session_id: str, feedback_json: str, response_json: str, raw: float, out_of: float, timestamp: str,
) -> str:
    """Build a part attempt; Torus gives the part the number of its activity attempt."""
    return (
        f'{actor_json}"context":{{"extensions":{{{attempt_json}"{OLI}attached_objectives":{objectives_json},'
        f'"{OLI}enrollment_id":{enrollment_id},"{OLI}hints_requested":{hints_json},{page_json}'
        f'"{OLI}part_attempt_guid":"{part_attempt_guid}","{OLI}part_attempt_number":{attempt_number},'
        f'"{OLI}part_id":"{part_id}",{scope_json},"{OLI}session_id":"{session_id}"}}}},'
        f'{id_member(statement_id)}"object":{{"definition":{{"name":{{"en-US":"Part Attempt"}},'
        f'"type":"http://adlnet.gov/expapi/activities/question"}},"id":"{host}/part_attempt/{part_attempt_guid}}}",'
        f'"objectType":"Activity"}},"result":{{"completion":true,"extensions":{{"{OLI}feedback":{feedback_json}}},'
        f'"response":{response_json},{score(raw, out_of)},"success":true}},"timestamp":"{timestamp}",{COMPLETED_VERB}'
    )


def activity_attempt(
    actor_json: str, statement_id: str, host: str, attempt_json: str, activity_attempt_guid: str, enrollment_id: int,
    page_json: str, scope_json: str, raw: float, out_of: float, timestamp: str,
) -> str:
    return (
        f'{actor_json}"context":{{"extensions":{{{attempt_json}"{OLI}enrollment_id":{enrollment_id},{page_json}{scope_json}}}}},'
        f'{id_member(statement_id)}"object":{{"definition":{{"name":{{"en-US":"Activity Attempt"}},'
        f'"type":"{OLI}activity_attempt"}},"id":"{host}/activity_attempt/{activity_attempt_guid}}}","objectType":"Activity"}},'
        f'"result":{{"completion":true,{score(raw, out_of)},"success":true}},"timestamp":"{timestamp}",{COMPLETED_VERB}'
    )


def page_context(enrollment_id: int, page_attempt_guid: str, page_attempt_number: int, page_id: int, project_id: int, publication_id: int, section_id: int) -> str:
    """Build the context extensions shared by page_attempt and page_viewed statements."""
    return (
        f'"context":{{"extensions":{{"{OLI}enrollment_id":{enrollment_id},"{OLI}page_attempt_guid":"{page_attempt_guid}",'
        f'"{OLI}page_attempt_number":{page_attempt_number},"{OLI}page_id":{page_id},"{OLI}project_id":{project_id},'
        f'"{OLI}publication_id":{publication_id},"{OLI}section_id":{section_id}}}}},'
    )


def page_attempt(actor_json: str, statement_id: str, host: str, context_json: str, page_attempt_guid: str, raw: float, out_of: float, timestamp: str) -> str:
    return (
        f'{actor_json}{context_json}{id_member(statement_id)}"object":{{"definition":{{"name":{{"en-US":"Page Attempt"}},'
        f'"type":"{OLI}page_attempt"}},"id":"{host}/page_attempt/{page_attempt_guid}}}","objectType":"Activity"}},'
        f'"result":{{"completion":true,{score(raw, out_of)},"success":true}},"timestamp":"{timestamp}",{COMPLETED_VERB}'
    )


def page_viewed(actor_json: str, statement_id: str, host: str, context_json: str, page_id: int, sub_type: str, timestamp: str) -> str:
    return (
        f'{actor_json}{context_json}{id_member(statement_id)}"object":{{"definition":{{"name":{{"en-US":"Page"}},'
        f'"subType":"{sub_type}","type":"{OLI}types/page"}},"id":"{host}/page/{page_id}}}","objectType":"Page"}},'
        f'"result":{{"completion":true,"success":true}},"timestamp":"{timestamp}",{VIEWED_VERB}'
    )


def video_context(
    content_element_id: str, enrollment_json: str, page_attempt_guid_json: str, page_attempt_number_json: str,
    project_id: int, publication_id: int, resource_id: int, section_id: int,
) -> str:
    """Build the OLI context extensions of a video statement, without the closing braces.

    The page attempt members are JSON text because the course intro video sends null.
    """
    return (
        f'"context":{{{VIDEO_CATEGORY},"extensions":{{"{OLI}content_element_id":"{content_element_id}",'
        f'"{OLI}enrollment_id":{enrollment_json},"{OLI}page_attempt_guid":{page_attempt_guid_json},'
        f'"{OLI}page_attempt_number":{page_attempt_number_json},"{OLI}project_id":{project_id},'
        f'"{OLI}publication_id":{publication_id},"{OLI}resource_id":{resource_id},"{OLI}section_id":{section_id}'
    )


def _video(actor_json: str, context_json: str, statement_id: str, url: str, registration: str, result_json: str, timestamp: str, verb: str) -> str:
    return (
        f'{actor_json}{context_json}}}}},{id_member(statement_id)}"object":{{"definition":{{"name":{{"en-US":"{url}"}},'
        f'"type":"https://w3id.org/xapi/video/activity-type/video"}},"id":"{url}","objectType":"Activity"}},'
        f'"registration":"{registration}","result":{{"extensions":{{{result_json}}}}},"timestamp":"{timestamp}",'
        f'"verb":{{"display":{{"en-US":"{verb}"}},"id":"https://w3id.org/xapi/video/verbs/{verb}"}}}}'
    )


def video_played(actor_json, context_json, statement_id, url, registration, length: str, time: str, timestamp) -> str:
    """Build a played statement; numbers are JSON text as the HTML5 player reports them (see js_number)."""
    context = f'{context_json},"{VIDEO}length":{length}'
    return _video(actor_json, context, statement_id, url, registration, f'"{VIDEO}time":{time}', timestamp, "played")


def video_paused(actor_json, context_json, statement_id, url, registration, length: str, segments: str, progress: str, time: str, timestamp) -> str:
    context = f'{context_json},"{VIDEO}length":{length}'
    result = f'"{VIDEO}played-segments":"{segments}","{VIDEO}progress":{progress},"{VIDEO}time":{time}'
    return _video(actor_json, context, statement_id, url, registration, result, timestamp, "paused")


def video_seeked(actor_json, context_json, statement_id, url, registration, time_from: str, time_to: str, timestamp) -> str:
    result = f'"{VIDEO}time-from":{time_from},"{VIDEO}time-to":{time_to}'
    return _video(actor_json, context_json, statement_id, url, registration, result, timestamp, "seeked")


def video_completed(actor_json, context_json, statement_id, url, registration, length: str, segments: str, progress: str, time: str, timestamp) -> str:
    # Torus sends the completion threshold as the string "1.0", not as a number.
    context = f'{context_json},"{VIDEO}completion-threshold":"1.0","{VIDEO}length":{length}'
    result = f'"{VIDEO}played-segments":"{segments}","{VIDEO}progress":{progress},"{VIDEO}time":{time}'
    return _video(actor_json, context, statement_id, url, registration, result, timestamp, "completed")


def voiding(actor_json: str, statement_id: str, section_id: int, project_id: int, voided_id: str, timestamp: str) -> str:
    """Build a voiding statement (verb voided, object a StatementRef to `voided_id`), scoped to a section and project."""
    return (
        f'{actor_json}"context":{{"extensions":{{"{OLI}project_id":{project_id},"{OLI}section_id":{section_id}}}}},'
        f'{id_member(statement_id)}"object":{{"id":"{voided_id}","objectType":"StatementRef"}},"timestamp":"{timestamp}",'
        f'"verb":{{"display":{{"en-US":"voided"}},"id":"http://adlnet.gov/expapi/verbs/voided"}}}}'
    )


def js_number(value: float) -> str:
    """JSON text of a number as a browser's JSON.stringify writes it: 90 for 90.0, six decimals at most."""
    rounded = round(value, 6)
    if rounded == int(rounded):
        return str(int(rounded))
    return repr(rounded)


def feedback(text_json: str, content_id: str, feedback_id: str) -> str:
    """Build the `feedback` result extension: one rich-text paragraph with its ids."""
    return f'{{"content":[{{"children":[{{"text":{text_json}}}],"id":"{content_id}","type":"p"}}],"id":"{feedback_id}"}}'
