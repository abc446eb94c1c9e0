"""The 食品安全 demo (core/demo.py runs it from `load_demo`): the two campaigns, inspections
across districts and categories (most rectified with proof, one overdue), and an accident,
dated into the year of the plan task they serve. Adds nothing when its records exist."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import demo

from . import services
from .choices import AccidentLevel, CampaignKind, District, PlaceCategory
from .models import Accident, Campaign, Inspection

TZ = ZoneInfo("Asia/Shanghai")
PLACES = {
    PlaceCategory.CATERING: ["老城区小吃店", "海鲜排档", "快餐店"],
    PlaceCategory.WORKSHOP: ["豆制品作坊", "糕点作坊"],
    PlaceCategory.STALL: ["早市摊点", "夜市烧烤摊"],
    PlaceCategory.GROCERY: ["社区食杂店", "校园周边小卖部"],
    PlaceCategory.VENDOR: ["流动水果商贩"],
    PlaceCategory.CANTEEN: ["中学食堂", "小学食堂"],
}
FINDINGS = ["从业人员健康证过期", "生熟食品未分开存放", "进货台账不全", "餐具消毒不到位"]


@demo.register("foodsafety", order=61)
def load(out):
    task = demo.task_for(Inspection, "食品安全")
    if task is None or Campaign.objects.exists():
        return
    year, dept = task.project.plan.year, task.lead_department
    rng = random.Random(year)
    campaigns = [
        services.save_record(
            Campaign(
                task=task,
                department=dept,
                name=name,
                kind=kind,
                starts_on=date(year, start, 1),
                ends_on=date(year, end, 30),
                goal=goal,
            )
        )
        for name, kind, start, end, goal in [
            (
                "重点场所专项治理",
                CampaignKind.KEY_PLACES,
                3,
                9,
                "学校食堂及周边、旅游景区食品安全全覆盖检查",
            ),
            (
                "“五小”整顿规范",
                CampaignKind.FIVE_SMALL,
                4,
                11,
                "小餐饮、小作坊、小摊点、小食杂店、小商贩整顿规范",
            ),
        ]
    ]
    districts = [value for value, _ in District.choices]
    count = 0
    left_open = False
    for month in range(3, 7):
        for category, places in PLACES.items():
            place = rng.choice(places)
            district = rng.choice(districts)
            inspected = date(year, month, rng.randint(1, 25))
            campaign = campaigns[0] if category == PlaceCategory.CANTEEN else campaigns[1]
            needs = rng.random() < 0.7
            inspection = services.save_inspection(
                Inspection(
                    task=task,
                    department=dept,
                    campaign=campaign,
                    place=f"{District(district).label}{place}",
                    category=category,
                    district=district,
                    inspected_on=inspected,
                    findings=rng.choice(FINDINGS) if needs else "未发现问题",
                    rectify_by=inspected + timedelta(days=15) if needs else None,
                )
            )
            count += 1
            june_open = needs and month == 6 and not left_open  # at least one 整改 stays open
            left_open = left_open or june_open
            if needs and not june_open and (month < 6 or rng.random() < 0.5):
                services.rectify(
                    inspection,
                    rectified_on=inspected + timedelta(days=rng.randint(5, 14)),
                    proof=f"复查合格，整改前后照片及复查记录已存档（青食安复〔{year}〕{count}号）",
                )
    occurred = datetime.combine(date(year, 5, 18), time(12, 30), tzinfo=TZ)
    services.save_record(
        Accident(
            task=task,
            department=dept,
            title="某建筑工地食堂疑似食物中毒",
            level=AccidentLevel.IV,
            occurred_at=occurred,
            district=District.CHENGYANG,
            casualties=14,
            handling="患者均及时送医，已全部康复出院；涉事食堂停业整顿，留样送检。",
            accountability="对食堂经营者立案处罚，约谈所在街道食品安全监管负责人。",
        )
    )
    out(f"食品安全：专项整治 2 项，检查 {count} 家次，事故 1 起。")
