"""Choices of the 食品安全 module."""

from django.db import models


class CampaignKind(models.TextChoices):
    KEY_PLACES = "key_places", "重点场所专项治理"
    FIVE_SMALL = "five_small", "“五小”整顿规范"
    OTHER = "other", "其他专项整治"


class PlaceCategory(models.TextChoices):
    CATERING = "catering", "小餐饮"
    WORKSHOP = "workshop", "小作坊"
    STALL = "stall", "小摊点"
    GROCERY = "grocery", "小食杂店"
    VENDOR = "vendor", "小商贩"
    CANTEEN = "canteen", "学校食堂"
    OTHER = "other", "其他"


class District(models.TextChoices):
    """青岛市 districts (2012)."""

    SHINAN = "shinan", "市南区"
    SHIBEI = "shibei", "市北区"
    SIFANG = "sifang", "四方区"
    LICANG = "licang", "李沧区"
    LAOSHAN = "laoshan", "崂山区"
    HUANGDAO = "huangdao", "黄岛区"
    CHENGYANG = "chengyang", "城阳区"
    JIMO = "jimo", "即墨市"
    JIAOZHOU = "jiaozhou", "胶州市"
    PINGDU = "pingdu", "平度市"
    LAIXI = "laixi", "莱西市"


class AccidentLevel(models.TextChoices):
    I = "1", "特别重大（Ⅰ级）"  # noqa: E741
    II = "2", "重大（Ⅱ级）"
    III = "3", "较大（Ⅲ级）"
    IV = "4", "一般（Ⅳ级）"
