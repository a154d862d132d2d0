"""What the platform must do with each corpus file, derived from the verdicts in MANIFEST.md.

`deployed` files name the executable process ids they must yield; `refused` files name what the refusal
must mention. Each entry of `reason` must be found (case-insensitive) in the code, message or element id
of at least one error; `a|b` accepts either text. `load_with` lists files deployed in the same batch
(call activities and messages across files). `verdict` repeats the MANIFEST's first word(s) so a test can
check the table against the MANIFEST itself.
"""

from __future__ import annotations

from dataclasses import dataclass

DEPLOYED, REFUSED = "deployed", "refused"
NO_EXECUTABLE = "no executable process|no-executable-process"
NO_CONDITION = "condition"
COMPENSATION = "compensat"


@dataclass(frozen=True)
class Expect:
    verdict: str
    outcome: str
    processes: tuple[str, ...] = ()
    reason: tuple[str, ...] = ()
    load_with: tuple[str, ...] = ()
    why: str = ""


def deployed(verdict: str, *processes: str, load_with: tuple[str, ...] = (), why: str = "") -> Expect:
    return Expect(verdict, DEPLOYED, processes=tuple(processes), load_with=load_with, why=why)


def refused(verdict: str, *reason: str, why: str = "") -> Expect:
    return Expect(verdict, REFUSED, reason=tuple(reason), why=why)


DIAGRAM = "No"

EXPECTATIONS: dict[str, Expect] = {
    # --- miwg/ -------------------------------------------------------------------------------------
    "miwg/A.1.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/A.2.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/A.3.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/A.4.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/B.1.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/B.2.0_reference.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/C.1.1_reference.bpmn": deployed(
        "Partly", "handle-invoice",
        why="task outputs with generated ids (Bpmn_DataOutput_...) are read by their names, the XPath "
            "conditions translated, the data store kept as documentation, the archive service external work"),
    "miwg/C.3.0_reference.bpmn": refused(
        "Partly", "start event", "_cd6f230f-13c3-4027-aa3e-57de601a1ab2",
        why="the sub-process 'Perform emergency repair' is empty (a collapsed box with nothing inside)"),
    "miwg/C.6.0_reference.bpmn": refused(DIAGRAM, COMPENSATION),
    "miwg/C.8.1_reference.bpmn": refused(
        "Partly", "business-rule-without-decision", "Vacation Approval",
        why="the decisive step is a DMN business rule task whose table is not in the corpus, named only in "
            "Trisotech/zeebe task headers; the FEEL conditions test that table's output"),
    "miwg/C.9.1_reference.bpmn": deployed("Yes with adaptation", "requestDocument_en"),
    "miwg/C.9.2_reference.bpmn": deployed(
        "Partly", "ManualCheck", load_with=("miwg/C.9.1_reference.bpmn",),
        why="zeebe MI and FEEL `=fraud` are adapted; the call goes into C.9.1's process"),
    "miwg/C.1.0_camunda-modeler-5.23_export.bpmn": refused(
        "No as-is", "timer", "Event_1m6mn1s",
        why="the executable pool's '7 Days' timer has no time expression; conditions lost on export"),
    "miwg/C.2.0_signavio-19.9_export.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/A.3.0_bizagi-2.8_roundtrip.bpmn": refused(
        DIAGRAM, NO_EXECUTABLE, "empty pool",
        why="one diagram-only process plus an empty participant process (a pool stub)"),
    "miwg/C.3.0_aris-10_export.bpmn": refused(
        "No as-is", "timer", "ID-de03d1ea-723b-11e9-69f8-f48e38b53512",
        why="the '2 hours' timer carries its time only in its name; the gateways' missing conditions "
            "count as true with a warning"),
    "miwg/C.1.0_bonita-7.2.3_export.bpmn": refused(
        "No as-is", "timer", "_R96a0LWeEeaTvLEWv0tJ7A", "names no message",
        why="the '7 days' timer is empty and the message starts name no message"),
    "miwg/A.4.0_yaoqiang-4.0_export.bpmn": deployed(
        "Yes", "PROCESS_1", "PROCESS_2",
        why="PROCESS_1's Task 3 has two unconditioned outgoing flows: BPMN's implicit parallel split"),
    "miwg/A.3.0_visual-paradigm-11.1_roundtrip.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/A.4.0_enterprise-architect-12_roundtrip.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "miwg/C.3.0_adonis-17_export.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    # --- spiff/ ------------------------------------------------------------------------------------
    "spiff/spiffwf_transaction.bpmn": deployed("Yes", "Main_Process"),
    "spiff/spiffwf_event-gateway.bpmn": deployed("Yes", "Process_0pvx19v"),
    "spiff/spiffwf_inclusive_gateway.bpmn": deployed("Yes", "main"),
    "spiff/spiffwf_timer-non-interrupt-boundary.bpmn": deployed("Yes", "NonInterruptTimer"),
    "spiff/spiffwf_conditional_event.bpmn": deployed("Yes", "intermediate", "boundary"),
    "spiff/spiffwf_event-subprocess.bpmn": deployed("Yes", "main"),
    "spiff/spiffwf_Approvals_bonita.bpmn": deployed(
        "Yes", "Approvals", "First_Approval_Wins", "Parallel_Approvals_SP"),
    "spiff/spiffwf_parallel_multiinstance_loop_input.bpmn": deployed("Yes", "main"),
    "spiff/spiffwf_standard_loop.bpmn": deployed("Yes", "main"),
    "spiff/spiffwf_camunda_token_trial_nested_parallel.bpmn": deployed("Yes", "token"),
    "spiff/spiffwf_camunda_noninterrupting-MessageBoundary.bpmn": deployed(
        "Yes", "Process_1kjyavs", "Process_1k0py56"),
    "spiff/spiffwf_spiff_escalation_event_payload.bpmn": deployed("Yes", "event_test"),
    "spiff/spiffwf_spiff_signal_event_payload.bpmn": deployed("Yes", "event_test"),
    "spiff/cli_order_top_level_script.bpmn": deployed(
        "Yes", "order_product", load_with=("spiff/cli_order_call_activity_script.bpmn",)),
    "spiff/cli_order_call_activity_script.bpmn": deployed("Yes", "customize_product"),
    "spiff/arena_food-ordering-process.bpmn": deployed(
        "Yes", "Food_Ordering_Process", load_with=("spiff/arena_handle-payment.bpmn",)),
    "spiff/arena_handle-payment.bpmn": deployed("Yes", "Handle_Payment"),
    "spiff/arena_escalation-events.bpmn": deployed("Yes", "Process_escalation_events_iq40493"),
    "spiff/arena_my_vacation.bpmn": deployed("Yes", "Process_9wllce2"),
    # --- camunda/ ----------------------------------------------------------------------------------
    "camunda/job-announcement.bpmn": deployed(
        "Yes with adaptation", "camunda-testing-job-announcement",
        load_with=("camunda/job-announcement-publication.bpmn",)),
    "camunda/job-announcement-publication.bpmn": deployed(
        "Yes with adaptation", "camunda-testing-job-announcement-publication"),
    "camunda/invoicePayment.bpmn": deployed("Yes", "embeddedFormsBpmnEvents"),
    "camunda/customerDataProcess.bpmn": deployed("Yes with adaptation", "customerDataProcess"),
    "camunda/order-handling.bpmn": deployed(
        "Partly", "Order_Process",
        why="the Quartz cron start fires through APScheduler's CronTrigger; external tasks wait for an operator"),
    "camunda/loan-granting.bpmn": deployed(
        "Partly", "loan_process",
        why="the Quartz cron start fires through APScheduler's CronTrigger; external tasks wait for an operator"),
    "camunda/message_start_process.bpmn": deployed("Yes", "Message_Start_Process"),
    "camunda/parse-bpmn_testProcess.bpmn": deployed("Yes with adaptation", "testProcess"),
    # --- flowable/ ---------------------------------------------------------------------------------
    "flowable/VacationRequest.bpmn20.xml": deployed("Yes with adaptation", "vacationRequest"),
    "flowable/Table_Reservation_v4.bpmn20.xml": refused(
        "Partly", "showUp",
        why="the gateway condition ${reservationService.showUp()} calls Java code; refused at deploy "
            "instead of failing when the guest's arrival is checked"),
    "flowable/jax2018_my-process.bpmn20.xml": deployed("Yes with adaptation", "myProcess"),
    "flowable/FinancialReportProcess.bpmn20.xml": deployed("Yes", "financialReport"),
    "flowable/reviewSalesLead.bpmn20.xml": deployed("Yes with adaptation", "reviewSaledLead"),
    "flowable/callactivity_orderProcess.bpmn20.xml": deployed(
        "Yes with adaptation", "orderProcess",
        load_with=("flowable/callactivity_checkCreditProcess.bpmn20.xml",)),
    "flowable/callactivity_checkCreditProcess.bpmn20.xml": deployed("Yes with adaptation", "checkCreditProcess"),
    "flowable/TransactionSubProcessTest.testSimpleCase.bpmn20.xml": refused(
        "Partly", COMPENSATION,
        why="the cancel path must run compensation handlers, which the engine cannot"),
    "flowable/diagram_testInvoiceProcessSignavio.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "flowable/diagram_testProcessFromIboPrometheus.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "flowable/converter_othertoolimport_bonita.bpmn": refused(
        "No as-is", "names no message", "status__check|Quote_accepted|Site_measure_completed",
        why="its three message start events name no message; the unconditioned gateways alone would "
            "run with warnings"),
    # --- bpmn-io/ ----------------------------------------------------------------------------------
    "bpmn-io/bpmn-js_draw_events.bpmn": refused(DIAGRAM, "not well-formed|well formed|xml", "131"),
    "bpmn-io/bpmn-js_draw_task-types.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    "bpmn-io/bpmn-js_error_duplicate-ids.bpmn": refused(DIAGRAM, "duplicate", "test"),
    "bpmn-io/bpmn-js_import-error_boundaryEvent-invalidAttachToRef.bpmn": refused(
        DIAGRAM, "NON_EXISTING_TASK", why="attachedToRef names an element that does not exist"),
    "bpmn-io/bpmn-moddle_vendor_bizagi-nested-ns-definition.bpmn": deployed(
        DIAGRAM, "Id_1f46c2af-002d-4b63-b1d1-7f181acc6065",
        why="isExecutable is absent, so the pool with steps runs; the empty 'Hauptprozess' pool is a stub"),
    "bpmn-io/bpmn-moddle_vendor_yaoqiang-event-definitions.bpmn": refused(
        "No as-is", "c#|DateTime.AddDays|ErrorThrown",
        why="a C# script task, C#-style timers and `ErrorThrown = true` conditions"),
    "bpmn-io/bpmn-moddle_vendor_signavio-complex-no-extensions.bpmn": refused(DIAGRAM, NO_EXECUTABLE),
    # --- approval/ ---------------------------------------------------------------------------------
    "approval/aia_leave_qingjia.bpmn": deployed("Yes with adaptation", "leave"),
    "approval/aia_leave-countersign_huiqian.bpmn": deployed("Yes with adaptation", "leave-countersign"),
    "approval/aia_leave-mail-timeout.bpmn": deployed("Yes with adaptation", "leave-mail-timeout"),
    "approval/aia_purchase-subprocess_caigou.bpmn": deployed(
        "No as-is", "purchase-subprocess", why="errorRef PAYMENT_REJECT gets its <error> element"),
    "approval/aia_purchase-callactivity.bpmn": deployed(
        "No as-is", "purchase-callactivity", load_with=("approval/aia_payment_fukuan.bpmn",),
        why="errorRef PAYMENT_REJECT gets its <error> element"),
    "approval/aia_payment_fukuan.bpmn": deployed(
        "No as-is", "payment", why="errorRef PAYMENT_REJECT gets its <error> element"),
    "approval/aia_leave-in-pool.bpmn": deployed(
        "No as-is", "process_pool1",
        why="both gateways lack conditions: as in Activiti each takes its first flow, with warnings"),
    "approval/szw_purchase_caigou.bpmn": deployed(
        "Partly", "purchase", why="errorRef adapted; runs for money != 10000 (no path at exactly 10000)"),
    "approval/szw_meeting_huiyi.bpmn": deployed("Yes with adaptation", "meeting"),
    "approval/jeesite_test_audit_xinchou.bpmn": deployed("Yes with adaptation", "test_audit"),
}


def matches(expected: str, haystack: str) -> bool:
    """`a|b` matches when either alternative occurs (case-insensitive)."""
    text = haystack.lower()
    return any(alt.lower() in text for alt in expected.split("|"))
