"""Scenarios for spiff/: SpiffWorkflow's own test models, the example CLI and SpiffArena examples."""

from __future__ import annotations

import pytest

from engine.core.errors import ExecutionError, InvalidInput

from .scenarios import STARTER, Run, scenario

TRANSACTION = "spiff/spiffwf_transaction.bpmn"
EVENT_GATEWAY = "spiff/spiffwf_event-gateway.bpmn"
INCLUSIVE = "spiff/spiffwf_inclusive_gateway.bpmn"
ESCALATION = "spiff/arena_escalation-events.bpmn"


def _transaction(run: Run, value: str, quantity: int | None) -> object:
    run.deploy(TRANSACTION)
    case = run.start("Main_Process")
    case.complete("Get Data", {"value": value})
    if quantity is not None:
        case.complete("Get Quantity", {"quantity": quantity})
    return case


@scenario(TRANSACTION)
def run_transaction_commits(run: Run) -> None:
    case = _transaction(run, "x", 2)
    data = case.finished("End_Subprocess", "Activity_Print_Data", "End_Event",
                         not_reached=("Cancel_Action", "Error_1_Action", "Error_None_Action"))
    assert (data["value"], data["quantity"]) == ("x", 2)
    assert "reason" not in data


@scenario(TRANSACTION)
def run_transaction_cancelled_on_empty_value(run: Run) -> None:
    case = _transaction(run, "", None)
    data = case.finished("Cancel_Event", "Catch_Cancel_Event", "Cancel_Action",
                         not_reached=("Activity_Get_Quantity", "Activity_Print_Data"))
    assert data["reason"] == "Cancel"


@scenario(TRANSACTION)
def run_transaction_error_code_on_negative_quantity(run: Run) -> None:
    case = _transaction(run, "x", -1)
    data = case.finished("Error_1", "Catch_Error_1", "Error_1_Action",
                         not_reached=("Error_None_Action", "Activity_Print_Data"))
    assert data["reason"] == "Error 1"


@scenario(TRANSACTION)
def run_transaction_unnamed_error_on_zero_quantity(run: Run) -> None:
    case = _transaction(run, "x", 0)
    data = case.finished("Error_None", "Catch_Error_None", "Error_None_Action",
                         not_reached=("Error_1_Action", "Activity_Print_Data"))
    assert data["reason"] == "Error None"


@scenario(EVENT_GATEWAY)
def run_event_gateway_message_1(run: Run) -> None:
    run.deploy(EVENT_GATEWAY)
    case = run.start("Process_0pvx19v")
    assert case.open() == [] and case.status == "running"
    case.message("message_1")
    case.finished("message_1_end", not_reached=("message_2_end", "timer"))


@scenario(EVENT_GATEWAY)
def run_event_gateway_message_2(run: Run) -> None:
    run.deploy(EVENT_GATEWAY)
    case = run.start("Process_0pvx19v")
    case.message("message_2", {"note": "second"})
    data = case.finished("message_2_end", not_reached=("message_1_end", "timer"))
    assert data.get("note") == "second"


@scenario(EVENT_GATEWAY)
def run_event_gateway_timer(run: Run) -> None:
    run.deploy(EVENT_GATEWAY)
    case = run.start("Process_0pvx19v")
    case.wait(seconds=2)
    case.finished("timer_event", "timer", not_reached=("message_1_end", "message_2_end"))


@scenario(INCLUSIVE)
def run_inclusive_gateway_default_path(run: Run) -> None:
    run.deploy(INCLUSIVE)
    case = run.start("main")
    case.complete("Set Data", {"u": -1, "v": -1, "w": -1})
    data = case.finished("increment_v", "Event_05yg5je", not_reached=("u_plus_v", "w_plus_v"))
    assert (data["u"], data["v"], data["w"]) == (-1, 0, -1)


@scenario(INCLUSIVE)
def run_inclusive_gateway_both_branches(run: Run) -> None:
    run.deploy(INCLUSIVE)
    case = run.start("main")
    case.complete("Set Data", {"u": 1, "v": 0, "w": 1})
    data = case.finished("u_plus_v", "w_plus_v", "Event_05yg5je", not_reached=("increment_v",))
    assert (data["u"], data["v"], data["w"]) == (1, 0, 1)


@scenario(INCLUSIVE)
def run_inclusive_gateway_no_way_out_is_reported(run: Run) -> None:
    run.deploy(INCLUSIVE)
    case = run.start("main")
    with pytest.raises(ExecutionError) as info:
        case.complete("Set Data", {"v": 0, "u": -1, "w": -1})
    assert "second" in str(info.value) or info.value.element_id == "second"
    assert case.status == "running" and case.names() == ["Set Data"]


@scenario("spiff/spiffwf_timer-non-interrupt-boundary.bpmn")
def run_non_interrupting_timer_on_subprocess(run: Run) -> None:
    run.deploy("spiff/spiffwf_timer-non-interrupt-boundary.bpmn")
    case = run.start("NonInterruptTimer")
    case.complete("Work Done?", {"work_done": "No"})
    assert case.names() == ["Work Done?"]
    case.wait(seconds=1)
    assert case.names() == ["Delay Reason", "Work Done?"]
    case.complete("Delay Reason", {"delay_reason": "waiting for parts"})
    case.complete("Work Done?", {"work_done": "Yes"})
    data = case.finished("GetReason", "Event_1sxw3jz", "Event_17ly1lc")
    assert data["delay_reason"] == "waiting for parts" and data["work_done"] == "Yes"
    assert case.worked().count("Work Done?") == 2


@scenario("spiff/spiffwf_conditional_event.bpmn")
def run_conditional_intermediate_event(run: Run) -> None:
    run.deploy("spiff/spiffwf_conditional_event.bpmn")
    case = run.start("intermediate")
    assert case.names() == ["A", "B"]
    case.complete("B")
    assert case.names() == ["A"] and case.status == "running"
    case.complete("A", {"task_a_done": True})
    case.finished("event_1", "gateway_b", "end_1")


@scenario("spiff/spiffwf_conditional_event.bpmn")
def run_conditional_boundary_event(run: Run) -> None:
    run.deploy("spiff/spiffwf_conditional_event.bpmn")
    case = run.start("boundary")
    assert case.names() == ["C", "D"]
    case.complete("C", {"task_c_done": True})
    case.finished("event_2", "end_2", not_reached=("task_d",))


@scenario("spiff/spiffwf_event-subprocess.bpmn")
def run_signal_starts_event_subprocess(run: Run) -> None:
    run.deploy("spiff/spiffwf_event-subprocess.bpmn")
    case = run.start("main")
    case.complete("set data")
    assert case.names() == ["task"]
    case.complete("task")
    # The event sub-process interrupts (isInterrupting is absent, so true): the main flow's end event
    # after the signal throw is cancelled, as BPMN says; SpiffWorkflow alone would reach it too.
    case.finished("Event_1o52hta", "Event_0rfrdxr", "Event_17xen75", not_reached=("Event_03f19jy",))
    second = run.start("main")
    assert second.names() == ["set data"], "triggering one instance must not change the shared spec"


@scenario("spiff/spiffwf_Approvals_bonita.bpmn")
def run_bonita_approvals_with_call_activities(run: Run) -> None:
    run.deploy("spiff/spiffwf_Approvals_bonita.bpmn")
    case = run.start("Approvals")
    assert case.names() == ["Manager Approval", "Supervisor Approval"]
    case.complete("Manager Approval")
    case.complete("First Approval Wins Done")
    case.complete("Supervisor Approval (P)")
    case.complete("Manager Approval (P)")
    case.complete("Parallel Approvals Done")
    assert case.names() == ["Manager Approval", "Operator Approval"]
    case.complete("Operator Approval")
    case.complete("Manager Approval")
    case.complete("Supervisor Approval")
    case.complete("Parallel SP Done")
    reached = case.reached()
    case.finished("First_Approval_Wins.Manager_Approved", "Parallel_Approvals_SP.End2", "Approvals.End1",
                  not_reached=("First_Approval_Wins.Supervisor_Approved",))
    assert "First_Approval_Wins.Supervisor_Approval" not in reached, "terminate end must cancel the loser"
    assert len(case.worked()) == 9


@scenario("spiff/spiffwf_parallel_multiinstance_loop_input.bpmn")
def run_parallel_multi_instance_collects_outputs(run: Run) -> None:
    run.deploy("spiff/spiffwf_parallel_multiinstance_loop_input.bpmn")
    case = run.start("main", {"input_data": [1, 2, 3], "output_data": {}})
    items = sorted(row.properties["item"] for row in case.open())
    assert items == [1, 2, 3]
    done = case.complete_all("Any Task", lambda row: {"output_item": row.properties["item"] * 2})
    assert done == 3
    data = case.finished("any_task", "Event_1xk7z3g")
    assert {int(k): v for k, v in data["output_data"].items()} == {0: 2, 1: 4, 2: 6}


@scenario("spiff/spiffwf_standard_loop.bpmn")
def run_standard_loop_stops_at_maximum(run: Run) -> None:
    run.deploy("spiff/spiffwf_standard_loop.bpmn")
    case = run.start("main", {"done": False})
    for _ in range(3):
        case.complete("Any Task")
    case.finished("Event_1xk7z3g")
    assert case.worked() == ["Any Task"] * 3


@scenario("spiff/spiffwf_standard_loop.bpmn")
def run_standard_loop_stops_on_condition(run: Run) -> None:
    run.deploy("spiff/spiffwf_standard_loop.bpmn")
    case = run.start("main", {"done": False})
    case.complete("Any Task", {"done": True})
    data = case.finished("Event_1xk7z3g")
    assert data["done"] is True and case.worked() == ["Any Task"]


@scenario("spiff/spiffwf_camunda_token_trial_nested_parallel.bpmn")
def run_nested_parallel_joins(run: Run) -> None:
    run.deploy("spiff/spiffwf_camunda_token_trial_nested_parallel.bpmn")
    case = run.start("token")
    while case.open():
        case.complete(case.open()[-1].element_id)
    case.finished()
    assert len(case.worked()) == 11 and len(set(case.worked())) == 11


@scenario("spiff/spiffwf_camunda_noninterrupting-MessageBoundary.bpmn")
def run_non_interrupting_message_between_two_processes(run: Run) -> None:
    run.deploy("spiff/spiffwf_camunda_noninterrupting-MessageBoundary.bpmn")
    worker = run.start("Process_1k0py56")
    worker.complete("Do Work", {"work_done": "No"})
    watcher = run.start("Process_1kjyavs")
    watcher.complete("Is work Late?", {"flag_task": "No"})
    watcher.complete("Is work Late?", {"flag_task": "Yes"})
    watcher.finished("Event_0g8w85g", "Event_0l8sadb")
    worker.message("Message_Tardy")
    assert worker.names() == ["Do Work", "Why was the work Late?"]
    worker.complete("Why was the work Late?", {"work_late_reason": "sick"})
    worker.complete("Do Work", {"work_done": "Yes"})
    worker.complete("What work was completed?", {"work_completed": "all of it"})
    data = worker.finished("Event_InterruptBoundary", "Activity_WorkLateReason", "Event_1w6cide")
    assert (data["work_late_reason"], data["work_completed"]) == ("sick", "all of it")


@scenario("spiff/spiffwf_spiff_escalation_event_payload.bpmn")
def run_escalation_payload_reaches_boundary(run: Run) -> None:
    run.deploy("spiff/spiffwf_spiff_escalation_event_payload.bpmn")
    case = run.start("event_test")
    case.complete("Set Data", {"escalation": True, "payload": "to the boss"})
    data = case.finished("throw", "catch", "Event_1nd3odq", not_reached=("Event_1n1i393",))
    assert data["result"] == "to the boss"


@scenario("spiff/spiffwf_spiff_escalation_event_payload.bpmn")
def run_escalation_not_thrown(run: Run) -> None:
    run.deploy("spiff/spiffwf_spiff_escalation_event_payload.bpmn")
    case = run.start("event_test")
    case.complete("Set Data", {"escalation": False, "payload": "unused"})
    data = case.finished("Event_03ddub8", "Event_1n1i393", not_reached=("catch",))
    assert "result" not in data


@scenario("spiff/spiffwf_spiff_signal_event_payload.bpmn")
def run_signal_payload(run: Run) -> None:
    run.deploy("spiff/spiffwf_spiff_signal_event_payload.bpmn")
    case = run.start("event_test")
    case.complete("Set Data", {"v1": 1, "v2": "two"})
    data = case.finished("throw", "catch", "Event_1dtkuop")
    assert data["result"] == {"r1": 1, "r2": "two"}


def _escalation_path(run: Run, path: str) -> dict:
    run.deploy(ESCALATION)
    case = run.start("Process_escalation_events_iq40493")
    case.complete("Select your Path", {"path": path})
    return case


@scenario(ESCALATION)
def run_escalation_path_a_end_event(run: Run) -> None:
    case = _escalation_path(run, "Path A")
    case.finished("Event_0ty5dpa", "Event_0ac7xnm", "Event_068xxp8", not_reached=("EndEvent_1",))


@scenario(ESCALATION)
def run_escalation_path_b_normal(run: Run) -> None:
    case = _escalation_path(run, "Path B")
    case.finished("Event_1xetbib", "EndEvent_1", not_reached=("Event_0ac7xnm", "Event_068xxp8"))


@scenario(ESCALATION)
def run_escalation_path_c_nested(run: Run) -> None:
    case = _escalation_path(run, "Path C")
    case.finished("Event_1b1vuzf", "Event_0ac7xnm", "Event_068xxp8", not_reached=("EndEvent_1",))


@scenario(ESCALATION)
def run_escalation_path_d_direct(run: Run) -> None:
    case = _escalation_path(run, "Path D")
    case.finished("Event_068xxp8", not_reached=("Event_0ac7xnm", "Activity_1eutuio", "EndEvent_1"))


FOOD = {
    "Appetizer": {"bruschetta": True, "buffalo_wings": False, "onion_rings": False},
    "Soup": {"chicken_noodle_soup": False, "french_onion_soup": False, "roasted_pumpkin_soup": False,
             "tom_yum_soup": True},
    "Mains": {"chicken_cordon_bleu": False, "vegetable_biryani": True, "scallops_with_basil_risotto": False,
              "beef_lasagna": True, "turkey_enchilada": False},
    "Dessert": {"key_lime_pie": False, "red_velvet_cake": False, "new_york_cheesecake": False,
                "thai_mango_sticky_rice": False, "tiramisu": True},
}


@scenario("spiff/arena_food-ordering-process.bpmn", "spiff/arena_handle-payment.bpmn")
def run_food_ordering_with_called_payment(run: Run) -> None:
    run.deploy("spiff/arena_food-ordering-process.bpmn", "spiff/arena_handle-payment.bpmn")
    case = run.start("Food_Ordering_Process")
    case.complete("Enter Name", {"name": "Li Lei"})
    for course, choices in FOOD.items():
        case.complete(course, choices)
    case.complete("Display Bill Value")
    case.complete("Select Payment Method", {"pay_on_delivery": True, "pay_online": False})
    case.complete("Pay on Delivery")
    case.complete("Order Confirmation")
    data = case.finished("Activity_1qwbmco", "Event_1xz13hd", "Event_0p1bthn", not_reached=("Activity_11ph807",))
    assert data["cost"] == 5 + 12 + 2 * 15 + 7
    assert data["mains"] == ["Vegetable Biryani", "Beef Lasagna"] and data["success"] is True


@scenario("spiff/arena_my_vacation.bpmn")
def run_vacation_with_lanes(run: Run) -> None:
    run.functions["get_current_user"] = lambda: {"username": STARTER}
    run.deploy("spiff/arena_my_vacation.bpmn")
    case = run.start("Process_9wllce2")
    case.complete("About Lane Assignment")
    case.complete("Describe Vacation", {"destination": "Hangzhou", "days": 3})
    approve = case.task("Approve Vacation")
    assert approve.lane == "Vacation Approver"
    case.complete("Approve Vacation", {"approved": True})
    data = case.finished("Event_1pi0b2e")
    assert data["requested_by"] == STARTER
    assert data["lane_owners"] == {"Vacation Approver": [STARTER]}


FOOD_FORMS = tuple(f"extra/{n}" for n in ("name-schema.json", "appetizer-schema.json", "soup-schema.json",
                                           "mains-schema.json", "dessert-schema.json", "payment-mode-schema.json",
                                           "enter-dummy-card-number-schema.json"))


@scenario("spiff/arena_food-ordering-process.bpmn", "spiff/arena_handle-payment.bpmn", *FOOD_FORMS)
def run_food_ordering_with_the_json_schema_forms_we_wrote(run: Run) -> None:
    """The corpus leaves out the example's JSON-schema forms; with ours uploaded beside it, each course is
    chosen in its form, and what is left unticked counts as no (the bill's script tests every dish)."""
    result = run.deploy("spiff/arena_food-ordering-process.bpmn", "spiff/arena_handle-payment.bpmn", *FOOD_FORMS)
    assert not [p for p in result.problems if p.code == "form-missing"]
    case = run.start("Food_Ordering_Process")
    case.submit("Enter Name", {"name": "李雷"})
    assert [f.name for f in case.form("Appetizer").fields] == ["bruschetta", "buffalo_wings", "onion_rings", "opinion"]
    case.submit("Appetizer", {"bruschetta": "true"})
    case.submit("Soup", {"tom_yum_soup": "true"})
    case.submit("Mains", {"vegetable_biryani": "true", "beef_lasagna": "true"})
    case.submit("Dessert", {"tiramisu": "true"})
    case.complete("Display Bill Value")
    case.submit("Select Payment Method", {"pay_online": "true"})
    with pytest.raises(InvalidInput):
        case.submit("Enter your Card Information", {"card_number": "1234"})
    case.submit("Enter your Card Information", {"card_number": "4111111111111111"})
    case.complete("Order Confirmation")
    data = case.finished("Event_0p1bthn", not_reached=("Activity_1qwbmco",))
    assert data["cost"] == 5 + 12 + 2 * 15 + 7 and data["onion_rings"] is False
    assert data["success"] is True
