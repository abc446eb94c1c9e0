"""政民互动增效 in a real browser: a supervisor imports a 12345 export and reads the KPIs; a
proposal goes through 答复, 不满意, 二次办理 and 办结 between the supervisor and the unit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from services.choices import ProposalStatus
from services.models import Proposal, WorkOrder
from tests import demo_snapshot
from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import html

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = """工单编号,受理时间,来源渠道,诉求分类,网络单位,回复时间,落实时间,回访满意度,办结时间
B001,2026-03-01 09:00,电话,融资服务,金融工作办公室,2026-03-02 09:00,2026-03-03 9:00,满意,
B002,2026-03-02 09:00,网站,融资服务,金融工作办公室,2026-03-03 09:00,,不满意,
B003,2026-03-05 09:00,电话,噪音扰民,市城市管理局,2026-03-05 18:00,2026-03-06 09:00,基本满意,
"""


@pytest.fixture
def demo_data(transactional_db):
    demo_snapshot.demo()


def test_hotline_import_kpis_and_a_proposal_through_second_handling(
    signed_in, live_server, demo_data, tmp_path
):
    export = tmp_path / "12345工单.csv"
    export.write_text(EXPORT, encoding="utf-8-sig")
    sup = signed_in("supervisor1")
    sup.goto(f"{live_server.url}/services/")
    sup.get_by_role("link", name="导入工单").click()
    sup.set_input_files("#id_file", str(export))
    sup.get_by_role("button", name="导入").click()
    assert "新增 3 张" in sup.locator("#import-result").inner_text()
    assert WorkOrder.objects.filter(number__in=["B001", "B002", "B003"]).count() == 3
    sup.get_by_role("link", name="查看月度指标").click()
    units = sup.locator("#kpi-units").inner_text()
    assert "金融工作办公室" in units and "50.0%" in units  # 满意度 1 of 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sup.screenshot(path=str(ARTIFACTS / "hotline-kpi.png"), full_page=True)

    # the supervisor registers a proposal for staff1's unit
    sup.goto(f"{live_server.url}/services/proposals/new/")
    sup.fill("#id_number", "JY2026-001")
    sup.select_option("#id_kind", label="人大代表建议")
    sup.fill("#id_title", "优化小微企业融资担保")
    sup.fill("#id_proposer", "王代表")
    sup.select_option("#id_lead_department", label="金融工作办公室")
    today = timezone.localdate()
    sup.fill("#id_received_on", f"{today - timedelta(days=20):%Y-%m-%d}")
    sup.fill("#id_due_date", f"{today + timedelta(days=30):%Y-%m-%d}")
    sup.get_by_role("button", name="登记").click()
    proposal = Proposal.objects.get(number="JY2026-001")
    assert sup.url.endswith(proposal.get_absolute_url())

    staff = signed_in("staff1")
    staff.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    staff.get_by_role("button", name="开始办理").click()
    staff.fill("#id_reply", "已会同银行制定担保费补贴方案。")
    staff.get_by_role("button", name="提交答复").click()
    assert "等待督查处登记代表委员评价" in html(staff)

    sup.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    sup.check("input[name=opinion][value='1']")  # 不满意
    sup.get_by_role("button", name="保存评价").click()
    assert "请填写二次办理时限" in html(sup)  # refused beside the field
    sup.check("input[name=opinion][value='1']")
    sup.fill("#id_new_due", f"{today + timedelta(days=45):%Y-%m-%d}")
    sup.get_by_role("button", name="保存评价").click()
    assert "已进入二次办理" in html(sup)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.rounds) == (ProposalStatus.SECOND, 2)

    staff.reload()
    assert "二次办理答复" in html(staff)
    staff.fill("#id_reply", "补贴已兑现，首批 12 家企业受益。")
    staff.get_by_role("button", name="提交答复").click()

    sup.reload()
    sup.check("input[name=opinion][value='3']")  # 满意
    sup.check("#id_implemented")
    sup.get_by_role("button", name="保存评价").click()
    assert "建议提案办结" in html(sup)
    assert "办结" in sup.locator("#proposal-status").inner_text()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CLOSED and proposal.implemented
    sup.goto(f"{live_server.url}/services/proposals/")
    row = sup.locator("#proposal-figures tr", has_text="金融工作办公室").inner_text()
    assert "100.0%" in row  # 落实率 and 满意度 of the unit's one proposal
