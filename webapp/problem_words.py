"""What each problem found in an uploaded file means, in the words of a process designer.

The engine (engine/intake and the layers that check a deployment) reports a problem with a stable code,
the element it is at and an English detail naming the values involved. The designer pages show the
sentence below for the code first, in the page's language (the Chinese text is the message id of the
Babel catalogue), the element by its name with its id beside it, and the engine's detail under it.
tests/webapp/test_problem_words.py fails when the engine gains a code this table does not explain.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.core.problems import ERROR, WARNING

SEVERITIES = {ERROR: _l("错误（不能部署）"), WARNING: _l("提示（可部署）")}

PROBLEMS: dict[str, Any] = {
    # the file itself
    "empty-file": _l("文件是空的：请上传 BPMN 2.0 XML 文件。"),
    "too-large": _l("文件超过大小上限：请拆分流程或删去无用的图形后再上传。"),
    "not-well-formed": _l("XML 格式不完整（标签未闭合或前缀未声明）：请用建模工具重新导出。"),
    "doctype-forbidden": _l("文件含 DOCTYPE 或实体声明，出于安全原因不予接收：请用建模工具重新导出。"),
    "not-bpmn": _l("这不是 BPMN 2.0 文件（根元素不是 definitions）：请选择正确的文件。"),
    "unreadable": _l("文件无法读取：请检查是否为 BPMN、DMN 或表单 JSON 文件。"),
    "not-json": _l("表单文件不是有效的 JSON：请上传建模工具保存的表单文件。"),
    "no-bpmn": _l("只上传了决策表：请与调用它们的 BPMN 文件一起上传。"),
    "no-executable-process": _l("文件中没有可运行的流程：请在建模工具中勾选“可执行”（Executable）。"),
    "duplicate-id": _l("同一个标识（id）用了不止一次：请给每个元素各自的标识。"),
    "tolerated-duplicate-id": _l("同一个标识（id）用了不止一次，但不影响运行：建议改为各自的标识。"),
    "parse-error": _l("流程引擎无法读取此流程：请按详情修改。"),
    "spiff-validation": _l("流程引擎校验未通过：请按详情修改该元素。"),
    "not-executable": _l("此流程标为“不可执行”，只作为图示，不会运行：需要运行请勾选“可执行”。"),
    "empty-process": _l("此泳池没有任何步骤（如外部单位的空泳池），不会运行。"),
    # structure
    "no-start-event": _l("缺少开始事件（或开始事件过多）：流程或子流程需要恰好一个开始事件。"),
    "no-end-event": _l("子流程缺少结束事件：请添加一个。"),
    "dangling-reference": _l("连线或事件指向不存在的元素：请在建模工具中重新连接。"),
    "created-reference": _l("引用了文件中没有定义的消息、信号或错误，已按引用名自动补建。"),
    "unreachable-flow": _l("网关的这条连线永远走不到：前面有一条无条件的连线总会先被选中。"),
    "implicit-split": _l("一个步骤有多条无条件的出线，它们会同时执行（隐式并行）：建议画出并行网关，或改用排他网关。"),
    "conditional-flow-from-task": _l("步骤的出线带条件：条件成立的每条线都会走（相当于其后有一个包容网关）。"),
    "missing-condition": _l("条件事件或连线缺少条件：请填写条件，如 amount > 1000。"),
    "complex-gateway": _l("不支持复杂网关：请改用包容网关或带条件的排他网关。"),
    "event-gateway-target": _l("事件网关之后必须是等待消息、定时或信号的事件（或接收任务）。"),
    "boundary-without-trigger": _l("边界事件没有触发类型：请设为定时、消息、信号、错误或升级事件。"),
    "cancel-outside-transaction": _l("取消边界事件只能附在事务子流程上：此处请改用错误或信号边界事件。"),
    "event-subprocess-start": _l("事件子流程的开始事件不合适（无触发、条件触发或非中断的错误开始）：请改为定时、消息、信号、错误或升级触发。"),
    "event-definition-ref": _l("事件引用的共享事件定义在文件中不存在：请在事件内直接定义触发条件。"),
    "resolved-event-definition": _l("事件引用了共享的事件定义，已复制到事件内使用。"),
    "conditional-boundary-data": _l("子流程上的条件边界事件只看子流程开始时的数据，子流程内部设置的值不会触发它。"),
    "link-event": _l("不支持链接事件：请用一条连线代替成对的链接事件。"),
    "compensation": _l("不支持补偿：请把撤销操作画成错误边界事件之后的普通步骤。"),
    "ad-hoc-subprocess": _l("不支持自由子流程（ad-hoc）：请用包容网关组织这些步骤。"),
    "global-task": _l("不支持调用全局任务：请改为调用一个流程。"),
    "cmmn-case": _l("调用活动调用的是 CMMN 案例，本平台只运行 BPMN 流程：请改为调用流程。"),
    "unknown-called-process": _l("调用活动调用的流程既不在本次上传中，也未部署：请先部署或一起上传该流程。"),
    "loop-without-condition": _l("循环既没有结束条件也没有最大次数：请设置其一，循环才能结束。"),
    "multi-instance-input": _l("多实例（会签）需要且只需要一个集合或实例数：请在建模工具中二选一。"),
    "adapted-multi-instance": _l("厂商写法的多实例（会签）已转为标准写法运行。"),
    "io-name-mismatch": _l("任务输入输出的标识与名称不一致：本平台按标识读取，请把标识改成名称。"),
    "adapted-io": _l("任务的输入输出已按同名数据对象读取。"),
    "adapted-data-object": _l("数据对象已按其名称作为流程变量读取。"),
    "data-store-ignored": _l("数据存储在本平台只作说明，不参与运行。"),
    "incomplete-correlation": _l("关联属性缺少取值表达式：请说明消息中哪个字段是关联键，或删除它。"),
    # scripts and expressions
    "empty-script": _l("脚本任务没有脚本，运行到此会失败：请填写 Python 脚本，或改为普通任务。"),
    "script-syntax": _l("脚本不是有效的 Python：请按详情中的行号修改。"),
    "invalid-code": _l("脚本或表达式不能在安全沙箱中运行（如 import、while 循环、以下划线开头的名称）：请按详情修改。"),
    "unsupported-script-language": _l("不支持此脚本语言：请改写为 Python 并把脚本格式设为 python。"),
    "script-as-external": _l("此脚本语言无法在本平台运行：该步骤将作为外部工作等待，由运维人员办结。"),
    "adapted-expression": _l("厂商写法的表达式（如 JUEL ${...}）已转换后运行。"),
    "untranslatable-expression": _l("表达式调用了 Java/C# 代码或无法转换：请改写为变量比较，如 ${amount > 1000}。"),
    # timers
    "empty-timer": _l("定时器没有填写日期、时长或循环：请填写，如 PT2H（2 小时）或 P7D（7 天）。"),
    "invalid-timer": _l("定时器取值不是 ISO 8601 日期、时长或循环：请改为如 P7D、PT2H 或 R3/P1D；若引用变量，变量名须小写。"),
    "timer-limit": _l("定时器超出上限（时长超过 10 年、循环间隔短于 1 分钟或循环超过 1000 次）：请核对数字。"),
    "adapted-timer": _l("定时器取值已转换后使用（如去掉引号、cron 表达式按北京时间触发）。"),
    "cron-timer": _l("cron 表达式只能用于循环定时器，且须是平台能触发的写法：请改为循环，或填写日期、时长。"),
    "cycle-start": _l("流程开始事件上的循环定时器：每个案件由人发起，等到下一次触发时间运行一次。"),
    # decisions
    "business-rule-without-decision": _l("业务规则任务没有指定决策：请在建模工具中选择它调用的 DMN 决策。"),
    "unknown-decision": _l("业务规则任务调用的决策不在本次上传的 DMN 文件中：请把 .dmn 文件与 BPMN 一起上传。"),
    "no-decision": _l("DMN 文件中没有决策。"),
    "decision-kind": _l("只支持决策表类型的决策（不支持文字表达式等）。"),
    "decision-requirement": _l("此决策依赖另一个决策的结果：请先用一个业务规则任务调用那个决策。"),
    "hit-policy": _l("不支持此命中策略：请用 UNIQUE、FIRST、ANY、COLLECT 或 RULE ORDER。"),
    # forms
    "form-definition": _l("表单定义有误：请按详情修改表单文件。"),
    "form-key-unknown": _l("步骤指定的表单本平台没有：将使用按其后条件生成的表单，或只显示意见框。"),
    "form-missing": _l("步骤指定的表单文件不在本次上传中：请一起上传，否则使用按条件生成的表单。"),
    "form-layout-missing": _l("表单的布局文件（UI schema）不在本次上传中：字段按表单定义的顺序显示。"),
    "form-adapted": _l("表单字段已调整后使用（如含空格或点的字段标识改为安全的变量名）。"),
    "form-unusable": _l("此表单无法显示：该步骤只显示意见框。"),
    # properties the engine acts on
    "unknown-service": _l("服务任务指定的服务不是平台内置服务：请从列出的服务中选择。"),
    "clock-pause-reason": _l("clock_pause 填写的不是法定不计时的情形（如补正、专家评审、听证）：请从列出的情形中选择。"),
}


def severity(code: str) -> str:
    return str(SEVERITIES.get(code, code))


def explain(code: str) -> str:
    """The sentence for a problem code in the page's language; an unknown code says to read the detail."""
    found = PROBLEMS.get(code)
    return str(found) if found is not None else gettext("请按详情修改。")


def element(problem: Any) -> str:
    """The element as a designer finds it on the canvas: its name, with its id beside it."""
    name, ident = getattr(problem, "element_name", None), problem.element_id
    if name and ident and name != ident:
        return f"{name}（{ident}）"
    return ident or name or ""
