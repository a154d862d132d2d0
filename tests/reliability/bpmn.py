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
