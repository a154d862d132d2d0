"""BPMN expressions and scripts run restricted: useful code works, escapes and resource bombs are refused."""

from __future__ import annotations

import os

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.sandbox import SandboxEnvironment, make_script_engine


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment({"now": lambda: "2026-11-02T09:00:00+08:00"})


def test_expressions(env: SandboxEnvironment) -> None:
    data = {"amount": 12000, "approved": True, "depts": ["a", "b"], "form": {"days": 3}, "name": "张三"}
    assert env.evaluate("amount >= 10000 and approved", data) is True
    assert env.evaluate("len(depts) == 2 and form['days'] > 2", data) is True
    assert env.evaluate("name.startswith('张')", data) is True
    assert env.evaluate("sum([1, 2, 3]) * 2", {}) == 12
    assert env.evaluate("now()", {}) == "2026-11-02T09:00:00+08:00"


def test_juel_helpers_and_keyword_alias(env: SandboxEnvironment) -> None:
    assert env.evaluate("truthy(flag)", {"flag": "false"}) is False
    assert env.evaluate("truthy(flag)", {"flag": "true"}) is True
    assert env.evaluate("is_empty(x)", {"x": []}) is True
    assert env.evaluate("is_empty(x)", {"x": "a"}) is False
    assert env.evaluate("v_pass == 1", {"pass": 1}) is True


def test_script_creates_task_data_and_cleans_up(env: SandboxEnvironment) -> None:
    context = {"items": [1, 2, 3]}
    env.execute("total = sum(items)\nlabels = [str(i) for i in items]\nextra = {'k': 1}\nextra['j'] = 2",
                context)
    assert context == {"items": [1, 2, 3], "total": 6, "labels": ["1", "2", "3"], "extra": {"k": 1, "j": 2}}


def test_script_may_not_shadow_a_function(env: SandboxEnvironment) -> None:
    with pytest.raises(ValueError, match="now"):
        env.execute("x = 1", {"now": 3})


ATTACKS = [
    "import os", "__import__('os')", "open('/etc/passwd')", "eval('1')", "exec('x = 1')",
    "compile('1', 'f', 'eval')", "globals()", "locals()", "vars()", "getattr(1, '__class__')",
    "().__class__.__base__.__subclasses__()", "(lambda: 0).__globals__", "'{0.__class__}'.format(1)",
    "(x for x in []).gi_frame", "type(1)", "help()", "breakpoint()", "setattr(target, 'a', 1)",
    "while True:\n    pass", "y = 9 ** 9 ** 9", "y = 'a' * 10 ** 9", "y = [0] * 10 ** 9",
    "for i in range(10 ** 12):\n    pass", "for i in range(100000):\n    for j in range(100000):\n        pass",
    "s = 'a' * 1000000\nfor i in range(30):\n    s = s + s", "y = 'a'.ljust(10 ** 9)",
    "y = list(range(10 ** 9))", "class A:\n    pass",
]


@pytest.mark.parametrize("script", ATTACKS)
def test_attack_refused_without_side_effect(env: SandboxEnvironment, script: str, tmp_path: object) -> None:
    context: dict[str, object] = {"target": {}, "marker": "before"}
    with pytest.raises(Exception) as caught:  # noqa: B017 - each attack fails in its own way
        env.execute(script, context)
    assert not isinstance(caught.value, SystemExit | KeyboardInterrupt)
    assert context["target"] == {} and context["marker"] == "before"
    assert "os" not in context and "y" not in context


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calc"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>big</bpmn:outgoing><bpmn:outgoing>small</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_big"><bpmn:incoming>big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>small</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="gw"/>
    <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="end_big">
      <bpmn:conditionExpression>total &gt;= 10</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="end_small">
      <bpmn:conditionExpression>total &lt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>"""


def _run(script: str, data: dict[str, object]) -> BpmnWorkflow:
    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.replace("SCRIPT", script).encode(), "sandbox.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p"), script_engine=make_script_engine())
    wf.get_next_task().set_data(**data)
    wf.do_engine_steps()
    return wf


def test_bpmn_script_and_gateway_run_in_sandbox() -> None:
    wf = _run("total = sum(values)", {"values": [4, 5, 6]})
    assert wf.completed and wf.data["total"] == 15
    completed = {t.task_spec.name for t in wf.get_tasks(state=TaskState.COMPLETED)}
    assert "end_big" in completed and "end_small" not in completed


def test_malicious_bpmn_script_is_refused_at_run_time(tmp_path: object) -> None:
    marker = f"/tmp/govflow-sandbox-{os.getpid()}"
    with pytest.raises(WorkflowTaskException):
        _run(f"import os\nos.system('touch {marker}')\ntotal = 1", {})
    assert not os.path.exists(marker)
