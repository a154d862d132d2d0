"""Scenarios for camunda/, flowable/ and the runnable miwg/ files (vendor dialects adapted on deploy)."""

from __future__ import annotations

from .scenarios import STARTER, Run, scenario

JOB = ("camunda/job-announcement.bpmn", "camunda/job-announcement-publication.bpmn")
CUSTOMER = "camunda/customerDataProcess.bpmn"
ORDER = ("flowable/callactivity_orderProcess.bpmn20.xml", "flowable/callactivity_checkCreditProcess.bpmn20.xml")
C91 = "miwg/C.9.1_reference.bpmn"
C92 = "miwg/C.9.2_reference.bpmn"
JAX = "flowable/jax2018_my-process.bpmn20.xml"


@scenario(*JOB)
def run_job_announcement_review_loop_and_publication(run: Run) -> None:
    run.deploy(*JOB)
    case = run.start("camunda-testing-job-announcement",
                     {"jobAnnouncementId": 7, "twitter": True, "facebook": False})
    assert [c.value for c in case.task("Describe job role").candidates] == ["engineering"]
    case.complete("Describe job role", {"description": "clerk"})
    case.complete("Review job role description", {"approved": False})
    case.complete("Improve job role description", {"description": "senior clerk"})
    case.complete("Review job role description", {"approved": True})
    case.complete("Publish announcement")
    assert [(t.name, t.kind) for t in case.open()] == [("Publish announcement on website", "external")]
    case.complete("Publish announcement on website")
    case.complete("Publish announcement on Twitter")
    case.complete("Send confirmation")
    data = case.finished("publication", "publish_announcement_twitter", "Event_087qk1c", "Event_194gsd3",
                         not_reached=("publish_announcement_facebook",))
    assert data["description"] == "senior clerk" and data["approved"] is True
    assert case.worked().count("Review job role description") == 2


@scenario("camunda/invoicePayment.bpmn")
def run_invoice_paid(run: Run) -> None:
    run.deploy("camunda/invoicePayment.bpmn")
    case = run.start("embeddedFormsBpmnEvents", {"amount": 120})
    case.complete("Pay Invoice", {"paid": True})
    data = case.finished("EndEvent_1ug8ljt", not_reached=("Task_1a2twqz", "Task_0q869n2"))
    assert data["paid"] is True


def _customer(run: Run, age: int) -> object:
    run.deploy(CUSTOMER)
    case = run.start("customerDataProcess", {"customer": {"name": "Wang", "age": age}})
    assert case.task("Approve customer").assignee == "demo"
    case.complete("Approve customer")
    case.complete("Validate customer")
    return case


@scenario(CUSTOMER)
def run_customer_over_21(run: Run) -> None:
    case = _customer(run, 30)
    case.complete("Over 21")
    case.finished("UserTask_2", "EndEvent_2", not_reached=("UserTask_3",))


@scenario(CUSTOMER)
def run_customer_under_21(run: Run) -> None:
    case = _customer(run, 18)
    case.complete("Under 21")
    case.finished("UserTask_3", "EndEvent_3", not_reached=("UserTask_2",))


@scenario("camunda/message_start_process.bpmn")
def run_start_by_message(run: Run) -> None:
    run.deploy("camunda/message_start_process.bpmn")
    case = run.start("Message_Start_Process")
    assert case.open() == [] and case.status == "running"
    case.message("instantiationMessage", {"order": 42})
    case.complete("Wait in Message Process")
    data = case.finished("StartEvent_1", "EndEvent_1")
    assert data["order"] == 42


@scenario("camunda/parse-bpmn_testProcess.bpmn")
def run_camunda_expression_service_then_b(run: Run) -> None:
    run.deploy("camunda/parse-bpmn_testProcess.bpmn")
    case = run.start("testProcess", {"name": "Zhao", "age": 41})
    assert case.task("Service Task").kind == "external"
    case.complete("Service Task", {"foo": "bar"})
    assert case.task("User Task B").assignee == "demo"
    case.complete("User Task B")
    for row in case.open():
        assert row.element_id == "scriptTask" and row.kind == "external"
        case.complete(row.element_id)
    case.finished("userTaskB", "endEvent", not_reached=("userTaskA",))


@scenario("flowable/VacationRequest.bpmn20.xml")
def run_flowable_vacation_rejected_then_approved(run: Run) -> None:
    run.deploy("flowable/VacationRequest.bpmn20.xml")
    case = run.start("vacationRequest", {"numberOfDays": 3, "vacationMotivation": "family"}, actor="kermit")
    assert case.task("Handle vacation request").assignee == "kermit"
    case.complete("Handle vacation request", {"vacationApproved": "Reject"})
    case.complete("Adjust vacation request", {"numberOfDays": 2, "resendRequest": "Yes"})
    case.complete("Handle vacation request", {"vacationApproved": "Approve"})
    case.complete("Send confirmation e-mail")
    data = case.finished("theEnd1", not_reached=("theEnd2",))
    assert data["employeeName"] == "kermit" and data["numberOfDays"] == 2


@scenario(JAX)
def run_hello_world_in_time(run: Run) -> None:
    run.deploy(JAX)
    case = run.start("myProcess")
    case.complete("Hello")
    case.complete("World")
    case.complete("Service call")
    case.finished("sid-AA2DFD8F-1999-4D53-A3C5-9B5FD01A945F", "sid-F1BF2B4C-1552-42B6-B416-68C4D5828174",
                  not_reached=("sid-A57B87D7-4981-4635-9B00-1486D02E85EC",))


@scenario(JAX)
def run_hello_world_times_out(run: Run) -> None:
    run.deploy(JAX)
    case = run.start("myProcess")
    case.complete("Hello")
    case.wait(minutes=11)
    assert case.names() == ["This takes too long"]
    case.complete("This takes too long")
    case.finished("sid-B6A7CD13-3B38-43FF-AFE2-A7588F41B940", "sid-E0FE71AD-91B8-4DE6-884D-C79956867939",
                  not_reached=("sid-8E54FAF5-F96E-419A-BEC0-1C4661E6D3A9",))


@scenario("flowable/FinancialReportProcess.bpmn20.xml")
def run_financial_report_potential_owners(run: Run) -> None:
    run.deploy("flowable/FinancialReportProcess.bpmn20.xml")
    case = run.start("financialReport")
    assert [c.value for c in case.task("Write monthly financial report").candidates] == ["accountancy"]
    case.complete("Write monthly financial report", {"report": "ok"})
    assert [c.value for c in case.task("Verify monthly financial report").candidates] == ["management"]
    case.complete("Verify monthly financial report")
    case.finished("verifyReportTask", "theEnd")


@scenario("flowable/reviewSalesLead.bpmn20.xml")
def run_sales_lead_needs_more_information_once(run: Run) -> None:
    run.deploy("flowable/reviewSalesLead.bpmn20.xml")
    case = run.start("reviewSaledLead", actor="kermit")
    assert case.task("Provide new sales lead").assignee == "kermit"
    case.complete("Provide new sales lead", {"customerName": "ACME", "potentialProfit": 5000, "details": "-"})
    case.complete("Review customer rating")
    case.complete("Review profitability", {"notEnoughInformation": "true"})
    assert case.names() == ["Provide additional details"]
    case.complete("Provide additional details", {"details": "more"})
    case.complete("Review customer rating")
    case.complete("Review profitability", {"notEnoughInformation": "false"})
    case.complete("Store lead in CRM system")
    data = case.finished("catchNotEnoughInformationError", "subProcessEnd2", "processEnd")
    assert data["details"] == "more" and case.worked().count("Review profitability") == 2


def _order(run: Run, approved: bool) -> object:
    run.deploy(*ORDER)
    case = run.start("orderProcess")
    case.complete("Receive Order")
    case.complete("Verify credit history", {"creditApproved": approved})
    return case


@scenario(*ORDER)
def run_order_with_credit_approved(run: Run) -> None:
    case = _order(run, True)
    case.complete("Prepare and Ship")
    case.finished("normalEnd", "theEnd", not_reached=("contactCustomerTask",))


@scenario(*ORDER)
def run_order_with_credit_refused(run: Run) -> None:
    case = _order(run, False)
    case.complete("Contact customer for further information")
    case.complete("Prepare and Ship")
    case.finished("customerContactedEnd", "theEnd", not_reached=("normalEnd",))


@scenario("miwg/A.4.0_yaoqiang-4.0_export.bpmn")
def run_yaoqiang_two_executable_pools(run: Run) -> None:
    run.deploy("miwg/A.4.0_yaoqiang-4.0_export.bpmn")
    simple = run.start("PROCESS_2")
    simple.complete("Task 1")
    simple.complete("Task 2")
    simple.finished("_10")
    split = run.start("PROCESS_1")
    split.complete("Task 3")
    assert split.names() == ["Task 4", "Task 6"], "an implicit split starts both sub-processes"
    split.complete("Task 4")
    split.complete("Task 6")
    split.complete("Task 5")
    split.finished("_24", "_30", "_19", "_34")


@scenario(C91)
def run_document_received(run: Run) -> None:
    run.deploy(C91)
    case = run.start("requestDocument_en")
    assert case.task("Request document").kind == "external"
    case.complete("Request document")
    case.message("MESSAGE_documentReceived", {"document": "passport"})
    data = case.finished("EndEvent_GotDocument", not_reached=("UserTask_CallCustomer",))
    assert data["document"] == "passport"


@scenario(C91)
def run_document_reminder_then_call(run: Run) -> None:
    run.deploy(C91)
    case = run.start("requestDocument_en")
    case.complete("Request document")
    case.wait(days=1, minutes=1)
    assert case.names() == ["Send reminder email"]
    case.complete("Send reminder email")
    case.wait(days=6)
    assert case.names() == ["Call customer"]
    case.complete("Call customer")
    case.finished("SendTask_SendReminderEmail", "EndEvent_ReminderSent", "EndEvent_TalkedToCustomer",
                  not_reached=("EndEvent_GotDocument",))


@scenario(C92, C91)
def run_manual_check_with_fraud_check(run: Run) -> None:
    run.deploy(C92, C91)
    case = run.start("ManualCheck")
    assert case.names() == ["Decide on application"]
    case.message("Message_FraudSuspected")
    case.complete("Check for Fraud", {"fraud": False})
    case.complete("Decide on application", {"decision": "granted"})
    data = case.finished("EndEvent_FraudNoDetected", "EndEvent_ManuallyDecided",
                         not_reached=("ErrorEndEvent_FraudDetected", "ErrorEndEvent_Timeout"))
    assert data["decision"] == "granted"
    assert STARTER == case.instance.started_by


BIZAGI = "bpmn-io/bpmn-moddle_vendor_bizagi-nested-ns-definition.bpmn"


@scenario(BIZAGI)
def run_bizagi_pool_beside_an_empty_pool(run: Run) -> None:
    """The empty 'Hauptprozess' pool is a stub with nothing to run; the other pool runs its one task."""
    result = run.deploy(BIZAGI)
    assert [p.code for p in result.problems if p.element_id == "Id_f2afc6ec-e5fc-4205-837c-4f637bf95ba6"] \
        == ["empty-process"]
    case = run.start("Id_1f46c2af-002d-4b63-b1d1-7f181acc6065")
    case.complete("Aufgabe 1")
    case.finished("Id_b9ff4ef1-7f18-4c42-8667-122fc9c12929", "Id_e673ec36-e00a-4857-b74d-bcd82c4eeff5")


@scenario("camunda/order-handling.bpmn")
def run_cron_started_order_creates_the_invoice(run: Run) -> None:
    """A Quartz cron start (every five seconds): the case waits for its next time, then runs once.
    The conditional boundary sees the data its path carries, not what the sub-process sets inside
    (the lint warning says so), so the invoice is not archived as in Camunda."""
    result = run.deploy("camunda/order-handling.bpmn")
    assert {p.code for p in result.problems if p.element_id == "StartEvent_1"} >= {"adapted-timer", "cycle-start"}
    assert "conditional-boundary-data" in {p.code for p in result.problems}
    case = run.start("Order_Process")
    assert case.open() == [] and case.status == "running"
    case.wait(seconds=6)
    assert [(t.name, t.kind) for t in case.open()] == [("Create Invoice", "external")]
    case.complete("Create Invoice", {"invoiceId": 7})
    data = case.finished("Task_06z99p1", "EndEvent_00asnpf", not_reached=("Task_1yjkccw",))
    assert data["invoiceId"] == 7
    assert instances_without_timers(case)


def instances_without_timers(case: object) -> bool:
    """A cron start fires once per case: nothing is left waiting once the case has ended."""
    return case.instance.next_timer_at is None  # type: ignore[attr-defined]


@scenario("camunda/loan-granting.bpmn")
def run_cron_started_loan_decides_per_credit_score(run: Run) -> None:
    run.deploy("camunda/loan-granting.bpmn")
    case = run.start("loan_process")
    case.wait(seconds=6)
    case.complete("Check credit score", {"creditScores": [3, 9]})
    assert case.names() == ["Grant loan", "Reject loan request"]
    case.complete("Grant loan")
    case.complete("Reject loan request")
    case.finished("Task_0v4gadf", "Task_0j0sjlk", "EndEvent_0q9wl5o")


C11 = "miwg/C.1.1_reference.bpmn"


@scenario(C11)
def run_signavio_invoice_with_named_task_outputs(run: Run) -> None:
    """Task outputs with generated ids are read by their names (approved, approver, clarified), which
    the XPath conditions test through the data objects."""
    result = run.deploy(C11)
    assert {p.code for p in result.problems} >= {"adapted-io", "adapted-expression"}
    case = run.start("handle-invoice")
    case.complete("Assign\r\nApprover", {"approver": "demo"})
    assert case.task("Approve Invoice").assignee == "demo"
    case.complete("Approve Invoice", {"approved": False})
    case.complete("Rechnung klären", {"clarified": "yes"})
    case.complete("Approve Invoice", {"approved": True})
    case.complete("Prepare\r\nBank\r\nTransfer")
    assert case.task("Archive\nInvoice").kind == "external"
    case.complete("Archive\nInvoice")
    case.finished("reviewInvoice", "prepareBankTransfer", "invoiceProcessed", not_reached=("invoiceNotProcessed",))
    assert case.worked().count("Approve Invoice") == 2, "not approved, clarified, approved on the second round"
