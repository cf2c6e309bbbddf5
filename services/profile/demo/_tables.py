"""Small static tables for the demo brokerage generator (names, occupations, codes).

Plain data only; the generator indexes into these with numpy integer arrays.
"""

from __future__ import annotations

import numpy as np

# The hundred-odd most common surnames, most frequent first (the generator weights them by a
# Zipf-like law, so 王/李/张 dominate as they do in practice).
SURNAMES = np.array(
    list(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
        "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
        "龚邵万钱严覃武戴莫孔向汤"
    )
)

GIVEN_MALE = np.array(
    list("伟强磊军勇杰涛明超斌鹏辉华建国平刚浩宇俊峰文志海波鑫凯翔晨博宁东林成龙健飞亮新振锋毅")
)
GIVEN_FEMALE = np.array(
    list("芳娜敏静丽艳娟霞秀玲燕婷雪慧琳晶颖倩洁梅琴云莉兰红萍欣佳悦怡思雨嘉欢月彤瑶蕾璐薇")
)

# Occupations for working-age retail customers, with rough weights.
OCCUPATIONS = np.array(
    [
        "企业职员",
        "工程技术人员",
        "教师",
        "医务人员",
        "公务员",
        "个体工商户",
        "企业管理人员",
        "自由职业者",
        "金融从业人员",
        "律师",
        "农民",
        "军人",
        "退休人员",
        "学生",
    ]
)
OCCUPATION_WEIGHTS = np.array([24, 12, 6, 5, 5, 12, 10, 9, 3, 1, 6, 1, 0, 0], dtype=np.float64)
OCC_RETIRED = 12
OCC_STUDENT = 13

# Real county-level address codes (GB/T 2260), used as the first six digits of PRC ID numbers
# and as the area part of institutions' unified social credit codes.
AREA_CODES = np.array(
    [
        110101,
        110105,
        110108,
        120101,
        120104,
        130102,
        140105,
        210102,
        220102,
        230103,
        310101,
        310104,
        310112,
        310115,
        320102,
        320106,
        320505,
        330102,
        330106,
        330203,
        340104,
        350203,
        360102,
        370102,
        370202,
        410105,
        420106,
        420111,
        430104,
        440104,
        440106,
        440305,
        440306,
        441900,
        450103,
        460105,
        500103,
        500112,
        510104,
        510107,
        520102,
        530102,
        610113,
        620102,
        630104,
        640104,
        650102,
        330782,
        320585,
        350102,
    ],
    dtype=np.int64,
)

# Mobile number prefixes (China Mobile / Unicom / Telecom 13x, 15x, 18x segments).
PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
    ],
    dtype=np.int64,
)

INSTITUTION_CITIES = np.array(
    [
        "上海",
        "北京",
        "深圳",
        "杭州",
        "广州",
        "南京",
        "宁波",
        "苏州",
        "成都",
        "武汉",
        "天津",
        "厦门",
    ]
)
INSTITUTION_SYLLABLES = np.array(
    list("嘉汇鼎泰恒盛瑞信远达宏元丰和睿博金银华安诚德峰景明卓君源融通")
)
INSTITUTION_SUFFIXES = np.array(
    [
        "投资管理有限公司",
        "资产管理有限公司",
        "私募基金管理有限公司",
        "实业有限公司",
        "科技股份有限公司",
        "控股集团有限公司",
        "企业年金计划",
        "保险资产管理有限公司",
    ]
)
