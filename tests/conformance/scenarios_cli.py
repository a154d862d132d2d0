"""The spiff-example-cli order tutorial: a call activity and scripts calling application functions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.bpmn.serializer import serializer

from .scenarios import Run, scenario

TOP = "spiff/cli_order_top_level_script.bpmn"
CALLED = "spiff/cli_order_call_activity_script.bpmn"


@dataclass(frozen=True)
class ProductInfo:
    color: bool
    size: bool
    style: bool
    price: float


PRODUCTS = {
    "product_a": ProductInfo(False, False, False, 15.00),
    "product_f": ProductInfo(True, True, True, 80.00),
}
SHIPPING = {"standard": 5.00, "overnight": 25.00}


def _functions(run: Run) -> None:
    """The application's helpers; ProductInfo is registered so it survives a save and reload."""
    registry = serializer().registry
    if ProductInfo not in registry.typenames:
        registry.register(ProductInfo, asdict, lambda d: ProductInfo(**d))
    run.functions["lookup_product_info"] = lambda name: PRODUCTS[name]
    run.functions["lookup_shipping_cost"] = lambda method: SHIPPING[method]


@scenario(TOP, CALLED)
def run_order_plain_product(run: Run) -> None:
    _functions(run)
    run.deploy(TOP, CALLED)
    case = run.start("order_product")
    case.complete("Select Product and Quantity", {"product_name": "product_a", "product_quantity": 2})
    assert case.names() == ["Enter Shipping Address", "Select Shipping Method"]
    case.complete("Select Shipping Method", {"shipping_method": "standard"})
    case.complete("Enter Shipping Address", {"street": "长安街 1 号", "city": "北京"})
    case.complete("Review Order")
    case.complete("Enter Payment Info", {"card_number": "6222000000000000"})
    case.complete("Charge Customer")
    case.complete("Retrieve Product")
    case.complete("Ship Product")
    data = case.finished("Activity_0gnvuqr", "Event_10j4iim", "Event_1i1nter", "Event_136gk7h",
                         not_reached=("Activity_0263vxi", "Activity_1x0wxtq", "Activity_1mkqpod"))
    assert data["order_total"] == 2 * 15.00 + 5.00


@scenario(CALLED)
def run_customize_everything(run: Run) -> None:
    _functions(run)
    run.deploy(CALLED)
    case = run.start("customize_product")
    case.complete("Select Product and Quantity", {"product_name": "product_f", "product_quantity": 1})
    case.complete("Select Product Color", {"product_color": "red"})
    case.complete("Select Product Size", {"product_size": "L"})
    case.complete("Select Product Style", {"product_style": "slim"})
    data = case.finished("Activity_0263vxi", "Activity_1x0wxtq", "Activity_1mkqpod", "Event_10j4iim")
    assert (data["product_color"], data["product_size"], data["product_style"]) == ("red", "L", "slim")
