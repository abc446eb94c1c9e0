"""Default departments and keyword → lead department rules of a city government general office.

Loaded by a data migration so that `import_plan` places the usual tasks of an office work plan
on a fresh database; both tables are data, edited in the admin afterwards.
"""

from core.choices import DepartmentKind

OFFICE_DEPARTMENTS = [
    "秘书处",
    "督查处",
    "综合调研处",
    "文电处",
    "会务处",
    "接待处",
    "信息处",
    "电子政务办公室",
    "金融工作办公室",
    "行政审批服务处",
    "会展办公室",
    "政务公开办公室",
    "12345政务服务热线办公室",
    "建议提案处",
    "网络问政处",
    "应急管理办公室",
    "食品安全协调处",
    "机关党委",
]

OUTSIDE_DEPARTMENTS = [
    ("市发展和改革委员会", DepartmentKind.MUNICIPAL),
    ("市财政局", DepartmentKind.MUNICIPAL),
    ("市商务局", DepartmentKind.MUNICIPAL),
    ("市教育局", DepartmentKind.MUNICIPAL),
    ("市公安局", DepartmentKind.MUNICIPAL),
    ("市卫生局", DepartmentKind.MUNICIPAL),
    ("市食品药品监督管理局", DepartmentKind.MUNICIPAL),
    ("市法制办公室", DepartmentKind.MUNICIPAL),
    ("人民银行青岛市中心支行", DepartmentKind.OTHER),
    ("市南区", DepartmentKind.DISTRICT),
    ("市北区", DepartmentKind.DISTRICT),
    ("李沧区", DepartmentKind.DISTRICT),
    ("崂山区", DepartmentKind.DISTRICT),
    ("黄岛区", DepartmentKind.DISTRICT),
]

# (keyword, department, priority). Higher priority wins; at equal priority a hit in the task
# title beats one in the project title, which beats one in the task text; then longer wins.
KEYWORDS = [
    ("五型", "机关党委", 90),
    ("机关党委", "机关党委", 90),
    ("党风廉政", "机关党委", 60),
    ("按规则和程序办事", "秘书处", 50),
    ("政务运行", "秘书处", 40),
    ("督查", "督查处", 50),
    ("督办", "督查处", 50),
    ("批示", "督查处", 45),
    ("调研", "综合调研处", 50),
    ("公文", "文电处", 50),
    ("文电", "文电处", 50),
    ("政府公报", "文电处", 50),
    ("会议", "会务处", 50),
    ("接待", "接待处", 50),
    ("信息服务", "信息处", 50),
    ("信息上报", "信息处", 50),
    ("电子政务", "电子政务办公室", 50),
    ("政务网", "电子政务办公室", 50),
    ("金融", "金融工作办公室", 50),
    ("融资", "金融工作办公室", 50),
    ("审批", "行政审批服务处", 50),
    ("会展", "会展办公室", 50),
    ("政务公开", "政务公开办公室", 50),
    ("信息公开", "政务公开办公室", 50),
    ("新闻发布", "政务公开办公室", 50),
    ("12345", "12345政务服务热线办公室", 50),
    ("热线", "12345政务服务热线办公室", 50),
    ("建议提案", "建议提案处", 50),
    ("网络问政", "网络问政处", 50),
    ("问政", "网络问政处", 50),
    ("应急", "应急管理办公室", 50),
    ("食品安全", "食品安全协调处", 50),
]


def load_defaults(Department, DepartmentKeyword):
    """Create what is missing; never changes rows that exist (they may have been edited)."""
    for order, name in enumerate(OFFICE_DEPARTMENTS, start=1):
        Department.objects.get_or_create(
            name=name, defaults={"kind": DepartmentKind.OFFICE, "sort_order": order}
        )
    for order, (name, kind) in enumerate(OUTSIDE_DEPARTMENTS, start=100):
        Department.objects.get_or_create(name=name, defaults={"kind": kind, "sort_order": order})
    for keyword, department, priority in KEYWORDS:
        if not DepartmentKeyword.objects.filter(keyword=keyword).exists():
            DepartmentKeyword.objects.create(
                keyword=keyword,
                department=Department.objects.get(name=department),
                priority=priority,
            )
