"""Small BPMN documents the reliability tests build on the fly (one timer or one script each)."""

from __future__ import annotations

from xml.sax.saxutils import escape

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
        'targetNamespace="http://govflow.example/tests">\n')


def timer_process(process_id: str, kind: str, text: str, boundary: bool = False) -> bytes:
    """start -> (intermediate timer | user task with a non-interrupting boundary timer) -> user task -> end."""
    timer = f"<bpmn:timerEventDefinition><bpmn:{kind}>{escape(text)}</bpmn:{kind}></bpmn:timerEventDefinition>"
    if boundary:
        body = (f'<bpmn:userTask id="work" name="Work"><bpmn:incoming>f1</bpmn:incoming>'
                f'<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
                f'<bpmn:boundaryEvent id="wait" name="Reminder" attachedToRef="work" cancelActivity="false">'
                f'<bpmn:outgoing>f4</bpmn:outgoing>{timer}</bpmn:boundaryEvent>'
                f'<bpmn:manualTask id="remind" name="Remind"><bpmn:incoming>f4</bpmn:incoming>'
                f'<bpmn:outgoing>f5</bpmn:outgoing></bpmn:manualTask>'
                f'<bpmn:endEvent id="end2"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>'
                f'<bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="remind"/>'
                f'<bpmn:sequenceFlow id="f5" sourceRef="remind" targetRef="end2"/>')
        first = "work"
    else:
        body = (f'<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:incoming>f1</bpmn:incoming>'
                f'<bpmn:outgoing>f2</bpmn:outgoing>{timer}</bpmn:intermediateCatchEvent>')
        first = "wait"
    return (HEAD + f'<bpmn:process id="{process_id}" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            + body +
            '<bpmn:userTask id="after" name="After"><bpmn:incoming>f2</bpmn:incoming>'
            '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            f'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{first}"/>'
            f'<bpmn:sequenceFlow id="f2" sourceRef="{first}" targetRef="after"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def script_process(process_id: str, script: str, then_user_task: bool = True) -> bytes:
    """start -> script task -> user task -> end."""
    return (HEAD + f'<bpmn:process id="{process_id}" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:userTask id="fill" name="Fill"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:scriptTask id="calc" name="Calculate" scriptFormat="python"><bpmn:incoming>f2</bpmn:incoming>'
            f'<bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:userTask id="after" name="After"><bpmn:incoming>f3</bpmn:incoming>'
            '<bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="calc"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="after"/>'
            '<bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def parallel_process(process_id: str, branches: int, performer: str = 'camunda:assignee="clerk_{n}"') -> bytes:
    """start -> fork into `branches` user tasks (branch_0 ... for users clerk_0 ...) -> join -> after -> end."""
    tasks = "".join(
        f'<bpmn:userTask id="branch_{n}" name="Branch {n}" {performer.format(n=n)}>'
        f'<bpmn:incoming>in_{n}</bpmn:incoming><bpmn:outgoing>out_{n}</bpmn:outgoing></bpmn:userTask>'
        f'<bpmn:sequenceFlow id="in_{n}" sourceRef="fork" targetRef="branch_{n}"/>'
        f'<bpmn:sequenceFlow id="out_{n}" sourceRef="branch_{n}" targetRef="join"/>' for n in range(branches))
    fork_out = "".join(f"<bpmn:outgoing>in_{n}</bpmn:outgoing>" for n in range(branches))
    join_in = "".join(f"<bpmn:incoming>out_{n}</bpmn:incoming>" for n in range(branches))
    return (HEAD.replace("<bpmn:definitions ", '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')
            + f'<bpmn:process id="{process_id}" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            f'<bpmn:parallelGateway id="fork"><bpmn:incoming>f1</bpmn:incoming>{fork_out}</bpmn:parallelGateway>'
            + tasks +
            f'<bpmn:parallelGateway id="join">{join_in}<bpmn:outgoing>f2</bpmn:outgoing></bpmn:parallelGateway>'
            '<bpmn:userTask id="after" name="After" camunda:assignee="clerk_0"><bpmn:incoming>f2</bpmn:incoming>'
            '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="after"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>'
            '</bpmn:process></bpmn:definitions>').encode()


def countersign_process(process_id: str) -> bytes:
    """start -> 会签 by every user in `signers` (multi-instance, assignee ${signer}) -> after -> end."""
    return (HEAD.replace("<bpmn:definitions ", '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')
            + f'<bpmn:process id="{process_id}" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:userTask id="sign" name="会签" camunda:assignee="${signer}"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics camunda:collection="signers" '
            'camunda:elementVariable="signer"/></bpmn:userTask>'
            '<bpmn:userTask id="after" name="After" camunda:assignee="clerk_0"><bpmn:incoming>f2</bpmn:incoming>'
            '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="after"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>'
            '</bpmn:process></bpmn:definitions>').encode()
