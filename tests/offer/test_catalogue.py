"""The desired catalogue: category tree, courses, names, summaries, FOAD, the lookup."""

from __future__ import annotations

from jonction.config.policy import PolicySection
from jonction.domain.catalogue import desired_catalogue
from jonction.domain.course_map import CourseRef, Modality, build_course_map
from jonction.domain.naming import COURSE_FULLNAME_MAX

from .builders import University, vet


def test_default_tree_and_course_placement() -> None:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"], label="Analyse 1")
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    assert {k: (c.name, c.parent) for k, c in catalogue.categories.items()} == {
        "2026:ANU": ("2026-2027", ""),
        "2026:CMP:U01": ("UFR Sciences & Techniques", "2026:ANU"),
        "2026:VDI:LICMATH:1": ("Licence Mathématiques", "2026:CMP:U01"),
        "2026:VET:L1MATH:1": ("Licence 1 Mathématiques (L1MATH)", "2026:VDI:LICMATH:1"),
    }
    course = catalogue.courses["2026:ELP:SMA1U01"]
    assert (course.shortname, course.fullname) == ("SMA1U01-2026", "Analyse 1 (SMA1U01)")
    assert course.category == "2026:VET:L1MATH:1"
    assert course.placement.criterion == "only_parent"
    assert not course.foad_managed


def test_only_course_bearing_reachable_elements_get_courses() -> None:
    uni = University()
    uni.element("SEM1", parents=["L1MATH"], nature="SEM")
    uni.element("SMA1U01", parents=["L1MATH"], under="SEM1")
    uni.element("ORPHAN", parents=[])
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    assert set(catalogue.courses) == {"2026:ELP:SMA1U01"}
    # Étapes and diplômes with no course get no category.
    assert "2026:VET:L1LET:1" not in catalogue.categories
    assert "2026:CMP:U02" not in catalogue.categories


def test_levels_without_diplome_and_without_year() -> None:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"])
    flat = desired_catalogue([uni.snapshot], PolicySection(category_levels=["composante", "etape"]))
    assert {k: c.parent for k, c in flat.categories.items()} == {
        "CMP:U01": "",
        "VET:L1MATH:1": "CMP:U01",
    }
    assert flat.courses["2026:ELP:SMA1U01"].category == "VET:L1MATH:1"
    by_year = desired_catalogue([uni.snapshot], PolicySection(category_levels=["year", "diplome"]))
    assert by_year.courses["2026:ELP:SMA1U01"].category == "2026:VDI:LICMATH:1"
    assert by_year.categories["2026:VDI:LICMATH:1"].parent == "2026:ANU"


def test_etape_without_diplome_hangs_under_its_composante() -> None:
    uni = University()
    uni.etape("DUAST", "U02", "DU Astronomie", [])
    uni.element("DUA01", parents=["DUAST"], composante="U02")
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    assert catalogue.categories["2026:VET:DUAST:1"].parent == "2026:CMP:U02"


def test_shared_element_has_one_course_naming_every_etape() -> None:
    uni = University()
    uni.element("LANG01", parents=["L1MATH", "L1LET", "L2MATH"], composante="U02")
    uni.students("LANG01", "L1MATH", 40)
    uni.students("LANG01", "L1LET", 10)
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    course = catalogue.courses["2026:ELP:LANG01"]
    assert course.etapes == (vet("L1LET"), vet("L1MATH"), vet("L2MATH"))
    assert course.category == "2026:VET:L1LET:1"  # the element's own composante
    assert course.placement.criterion == "same_composante"
    for text in ("L1LET-1", "L1MATH-1", "L2MATH-1", "Licence 1 Lettres"):
        assert text in course.summary


def test_teaching_charge_and_hysteresis_through_the_catalogue() -> None:
    uni = University()
    uni.element("SMA1U02", parents=["L1MATH", "L2MATH"])
    uni.students("SMA1U02", "L1MATH", 100)
    uni.students("SMA1U02", "L2MATH", 110)
    policy = PolicySection()
    first = desired_catalogue([uni.snapshot], policy)
    assert first.courses["2026:ELP:SMA1U02"].placement.etape == vet("L2MATH")
    kept = desired_catalogue([uni.snapshot], policy, {"2026:ELP:SMA1U02": vet("L1MATH")})
    assert kept.courses["2026:ELP:SMA1U02"].placement.etape == vet("L1MATH")
    uni.charge("SMA1U02", "L1MATH")
    declared = desired_catalogue([uni.snapshot], policy, {"2026:ELP:SMA1U02": vet("L2MATH")})
    assert declared.courses["2026:ELP:SMA1U02"].placement.etape == vet("L1MATH")


def test_foad_shared_by_default_and_flagged() -> None:
    uni = University()
    uni.element("SMA1U03", parents=["L1MATH", "L1MATD"])
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    assert list(catalogue.courses) == ["2026:ELP:SMA1U03"]
    course = catalogue.courses["2026:ELP:SMA1U03"]
    assert course.modality is Modality.SHARED and course.foad_managed
    ref = CourseRef("2026:ELP:SMA1U03", True)
    course_map = catalogue.course_maps["2026"]
    assert course_map.course_for("SMA1U03", vet("L1MATH")) == ref
    assert course_map.course_for("SMA1U03", vet("L1MATD")) == ref


def test_foad_split_gives_a_suffixed_course_per_modality() -> None:
    uni = University()
    uni.element("SMA1U03", parents=["L1MATH", "L1MATD"], label="Algèbre")
    uni.element("SMA1U04", parents=["L1MATD"])
    policy = PolicySection(foad_policy="split")
    catalogue = desired_catalogue([uni.snapshot], policy)
    assert sorted(catalogue.courses) == [
        "2026:ELP:SMA1U03",
        "2026:ELP:SMA1U03:FOAD",
        "2026:ELP:SMA1U04:FOAD",
    ]
    foad = catalogue.courses["2026:ELP:SMA1U03:FOAD"]
    assert (foad.shortname, foad.fullname) == ("SMA1U03-2026-FOAD", "Algèbre (SMA1U03) (FOAD)")
    assert foad.category == "2026:VET:L1MATD:1" and foad.foad_managed
    onsite = catalogue.courses["2026:ELP:SMA1U03"]
    assert onsite.modality is Modality.ONSITE and not onsite.foad_managed
    course_map = catalogue.course_maps["2026"]
    assert course_map.course_for("SMA1U03", vet("L1MATH")) == CourseRef("2026:ELP:SMA1U03", False)
    assert course_map.course_for("SMA1U03", vet("L1MATD")) == CourseRef(
        "2026:ELP:SMA1U03:FOAD", True
    )


def test_course_for_answers_none_outside_the_catalogue() -> None:
    uni = University()
    uni.element("SEM1", parents=["L1MATH"], nature="SEM")
    uni.element("SMA1U01", parents=["L1MATH"])
    course_map = build_course_map(uni.snapshot, PolicySection())
    assert course_map.course_for("SEM1", vet("L1MATH")) is None
    assert course_map.course_for("SMA1U01", vet("L1LET")) is None
    assert course_map.course_for("NOPE", vet("L1MATH")) is None


def test_names_fit_moodle_limits() -> None:
    uni = University()
    uni.element("SMA1U05", parents=["L1MATD"], long_label="Très " * 80 + "long")
    policy = PolicySection(course_fullname="{long_label} {code}", foad_policy="split")
    course = desired_catalogue([uni.snapshot], policy).courses["2026:ELP:SMA1U05:FOAD"]
    assert len(course.fullname) <= COURSE_FULLNAME_MAX
    assert course.fullname.endswith("… (FOAD)")


def test_templates_are_configurable() -> None:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"], label="Analyse")
    policy = PolicySection(
        course_fullname="[{year}] {code} {label}",
        course_shortname="{year}-{code}",
        course_idnumber="ELP-{code}-{year}",
        etape_category_name="{code}",
    )
    catalogue = desired_catalogue([uni.snapshot], policy)
    course = catalogue.courses["ELP-SMA1U01-2026"]
    assert (course.shortname, course.fullname) == ("2026-SMA1U01", "[2026] SMA1U01 Analyse")
    assert catalogue.categories["2026:VET:L1MATH:1"].name == "L1MATH"


def test_several_years_share_categories_without_a_year_level() -> None:
    old, new = University("2026"), University("2027")
    old.element("SMA1U01", parents=["L1MATH"])
    new.element("SMA1U01", parents=["L1MATH"])
    new.etape("L1MATH", "U01", "Licence 1 Maths (nouveau)", ["LICMATH"])
    policy = PolicySection(category_levels=["composante", "etape"])
    catalogue = desired_catalogue([new.snapshot, old.snapshot], policy)
    assert catalogue.years == ("2026", "2027")
    assert set(catalogue.courses) == {"2026:ELP:SMA1U01", "2027:ELP:SMA1U01"}
    assert catalogue.categories["VET:L1MATH:1"].name == "Licence 1 Maths (nouveau) (L1MATH)"


def test_a_crowded_category_is_reported() -> None:
    uni = University()
    for n in range(5):
        uni.element(f"E{n}", parents=["L1MATH"])
    catalogue = desired_catalogue([uni.snapshot], PolicySection(crowded_category=3))
    assert [n.kind for n in catalogue.notices] == ["category_crowded"]
