"""core_course_get_categories, core_course_create/update/delete_categories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from ..call import Call
from ..db import schema
from ..php.params import clean_param, php_int
from ..php.text import format_string, format_text
from ..ws.errors import missing_record, moodle_exception
from .common import check_lengths, new_context, validate_format

cat = schema.course_categories
_LAST = 2**30  # sorts a new or moved category after its siblings until renumbering


def unknown_category() -> Any:
    return moodle_exception("unknowncategory", "Category not known!")


def renumber(conn: Connection) -> None:
    """fix_course_sortorder for categories: depth-first, siblings in order, 10000 apart."""
    rows = conn.execute(select(cat.c.id, cat.c.parent, cat.c.sortorder)).all()
    children: dict[int, list[Any]] = {}
    for row in rows:
        children.setdefault(row.parent, []).append(row)
    wanted: dict[int, int] = {}
    stack = sorted(children.get(0, []), key=lambda r: (r.sortorder, r.id), reverse=True)
    position = 0
    while stack:
        row = stack.pop()
        position += 1
        wanted[row.id] = position * 10000
        stack.extend(
            sorted(children.get(row.id, []), key=lambda r: (r.sortorder, r.id), reverse=True)
        )
    for row in rows:
        if row.id in wanted and wanted[row.id] != row.sortorder:
            conn.execute(cat.update().where(cat.c.id == row.id).values(sortorder=wanted[row.id]))


def course_counts(conn: Connection) -> dict[int, int]:
    query = select(schema.course.c.category, func.count()).group_by(schema.course.c.category)
    return {category: total for category, total in conn.execute(query).all()}


def category_info(row: Any, coursecount: int) -> dict[str, Any]:
    description, description_format = format_text(row.description, row.descriptionformat)
    return {
        "id": row.id,
        "name": format_string(row.name),
        "idnumber": row.idnumber,
        "description": description,
        "descriptionformat": description_format,
        "parent": row.parent,
        "sortorder": row.sortorder,
        "coursecount": coursecount,
        "visible": row.visible,
        "visibleold": row.visibleold,
        "timemodified": row.timemodified,
        "depth": row.depth,
        "path": row.path,
        "theme": clean_param(row.theme or "", "theme"),
    }


def _criteria_conditions(criteria: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The WHERE conditions of the criteria, and those also applied to subcategories."""
    conditions: list[Any] = []
    inherited: list[Any] = []
    seen: set[str] = set()
    for criterion in criteria:
        key = criterion["key"].strip()
        value = criterion["value"]
        if key in seen and key != "ids":
            continue
        seen.add(key)
        if key in ("id", "parent"):
            conditions.append(getattr(cat.c, key) == php_int(value))
        elif key == "visible":
            inherited.append(cat.c.visible == php_int(value))
        elif key == "ids":
            ids = [php_int(part) for part in str(clean_param(value, "sequence")).split(",") if part]
            conditions.append(cat.c.id.in_(ids))
        elif key == "idnumber":
            conditions.append(cat.c.idnumber == value)
        elif key == "name":
            conditions.append(cat.c.name == clean_param(value, "text"))
        elif key == "theme":
            inherited.append(cat.c.theme == clean_param(value, "theme"))
        else:
            raise moodle_exception(
                "criteriaerror",
                "Missing permissions to search on a criterion.",
                f"You can not search on this criteria: {key}",
            )
    return conditions + inherited, inherited


def get_categories(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    conditions, inherited = _criteria_conditions(params["criteria"])
    if conditions:
        found = {row.id: row for row in conn.execute(select(cat).where(*conditions))}
        if found and params["addsubcategories"]:
            for row in list(found.values()):
                query = select(cat).where(cat.c.path.like(row.path + "/%"), *inherited)
                for sub in conn.execute(query):
                    found.setdefault(sub.id, sub)
        rows = list(found.values())
    else:
        rows = list(conn.execute(select(cat)))
    counts = course_counts(conn)
    infos = [
        category_info(row, counts.get(row.id, 0)) for row in sorted(rows, key=lambda r: r.path)
    ]
    # Moodle sorts the answer with strcmp on the sort order: as text.
    infos.sort(key=lambda info: str(info["sortorder"]))
    call.cost.charge(len(infos))
    return infos


def _path(conn: Connection, parent: int, category_id: int) -> tuple[str, int]:
    if not parent:
        return f"/{category_id}", 1
    row = conn.execute(select(cat.c.path, cat.c.depth).where(cat.c.id == parent)).one()
    return f"{row.path}/{category_id}", row.depth + 1


def _idnumber_taken(conn: Connection, idnumber: str) -> bool:
    return (
        conn.execute(select(cat.c.id).where(cat.c.idnumber == idnumber).limit(1)).first()
        is not None
    )


def _check_name_and_idnumber(conn: Connection, values: dict[str, Any], changing: bool) -> None:
    if ("name" in values and not values["name"]) or values.get("name") == "0":
        raise moodle_exception("categorynamerequired", "The category name is required.")
    if len(values.get("name") or "") > 255:
        raise moodle_exception("categorytoolong", "Category name too long")
    idnumber = values.get("idnumber")
    if idnumber is not None:
        if len(idnumber) > 100:
            raise moodle_exception("idnumbertoolong", "ID number is too long")
        if changing and idnumber != "" and _idnumber_taken(conn, idnumber):
            raise moodle_exception(
                "categoryidnumbertaken", "ID number is already used for another category"
            )


def create_categories(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    created: list[dict[str, Any]] = []
    for item in params["categories"]:
        call.cost.charge()
        parent = item["parent"]
        if parent and conn.execute(select(cat.c.id).where(cat.c.id == parent)).first() is None:
            raise moodle_exception("unknowcategory", "Category not known!")
        validate_format(item["descriptionformat"])
        values = {"name": item["name"], "idnumber": item.get("idnumber")}
        _check_name_and_idnumber(conn, values, changing=True)
        check_lengths("course_categories", values)
        category_id = call.new_id("course_categories")
        path, depth = _path(conn, parent, category_id)
        conn.execute(
            cat.insert().values(
                id=category_id,
                name=item["name"],
                idnumber=item.get("idnumber"),
                description=item.get("description"),
                descriptionformat=item["descriptionformat"],
                parent=parent,
                sortorder=_LAST,
                depth=depth,
                path=path,
                theme=item.get("theme"),
                timemodified=call.now,
            )
        )
        new_context(call, schema.CONTEXT_COURSECAT, category_id)
        created.append({"id": category_id, "name": format_string(item["name"])})
    # New categories sort after their siblings, in creation order.
    renumber(conn)
    return created


def _move(conn: Connection, row: Any, new_parent: int) -> None:
    if new_parent == row.id:
        raise moodle_exception("cannotmovecategory", "Cannot move category")
    if new_parent:
        target = conn.execute(select(cat).where(cat.c.id == new_parent)).first()
        if target is None:
            raise missing_record("course_categories")
        if f"/{row.id}/" in f"{target.path}/":
            raise moodle_exception("cannotmovecategory", "Cannot move category")
        new_path, new_depth = f"{target.path}/{row.id}", target.depth + 1
    else:
        new_path, new_depth = f"/{row.id}", 1
    shift = new_depth - row.depth
    descendants = conn.execute(select(cat).where(cat.c.path.like(row.path + "/%"))).all()
    conn.execute(
        cat.update()
        .where(cat.c.id == row.id)
        .values(parent=new_parent, path=new_path, depth=new_depth, sortorder=_LAST)
    )
    for sub in descendants:
        conn.execute(
            cat.update()
            .where(cat.c.id == sub.id)
            .values(path=new_path + sub.path[len(row.path) :], depth=sub.depth + shift)
        )


def update_categories(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for item in params["categories"]:
        call.cost.charge()
        row = conn.execute(select(cat).where(cat.c.id == item["id"])).first()
        if row is None:
            raise unknown_category()
        validate_format(item["descriptionformat"])
        changes: dict[str, Any] = {}
        if "name" in item:
            _check_name_and_idnumber(conn, {"name": item["name"]}, changing=False)
            changes["name"] = item["name"]
        if "idnumber" in item and item["idnumber"] != row.idnumber:
            _check_name_and_idnumber(conn, {"idnumber": item["idnumber"]}, changing=True)
            changes["idnumber"] = item["idnumber"]
        if "description" in item:
            changes["description"] = item["description"]
            changes["descriptionformat"] = item["descriptionformat"]
        if "theme" in item:
            changes["theme"] = item["theme"]
        check_lengths("course_categories", changes)
        if "parent" in item and item["parent"] != row.parent:
            _move(conn, row, item["parent"])
        if changes:
            changes["timemodified"] = call.now
            conn.execute(cat.update().where(cat.c.id == row.id).values(**changes))
    renumber(conn)


def delete_categories(call: Call, params: dict[str, Any]) -> None:
    from .cohorts import move_or_delete_category_cohorts
    from .courses import append_courses, delete_course_data

    conn = call.conn
    for item in params["categories"]:
        call.cost.charge()
        row = conn.execute(select(cat).where(cat.c.id == item["id"])).first()
        if row is None:
            raise unknown_category()
        subtree = [row, *conn.execute(select(cat).where(cat.c.path.like(row.path + "/%")))]
        subtree_ids = [r.id for r in subtree]
        course_t = schema.course
        if item["recursive"]:
            courses = conn.execute(
                select(course_t.c.id).where(course_t.c.category.in_(subtree_ids))
            )
            for (course_id,) in courses.all():
                delete_course_data(conn, course_id)
            move_or_delete_category_cohorts(conn, subtree_ids, None)
            conn.execute(cat.delete().where(cat.c.id.in_(subtree_ids)))
            for category_id in subtree_ids:
                conn.execute(
                    schema.context.delete().where(
                        schema.context.c.contextlevel == schema.CONTEXT_COURSECAT,
                        schema.context.c.instanceid == category_id,
                    )
                )
        else:
            target_id = item.get("newparent") or row.parent
            if not target_id:
                raise moodle_exception(
                    "movecatcontentstoroot", "Moving contents to root is not allowed."
                )
            target = conn.execute(select(cat).where(cat.c.id == target_id)).first()
            if target is None:
                raise unknown_category()
            if target.id in subtree_ids:
                raise moodle_exception(
                    "youcannotdeletecategory",
                    f"You cannot delete category '{format_string(row.name)}' because you can "
                    "neither delete the contents, nor move them elsewhere.",
                )
            for child in conn.execute(select(cat).where(cat.c.parent == row.id)).all():
                _move(conn, child, target.id)
            moved = conn.execute(select(course_t.c.id).where(course_t.c.category == row.id))
            append_courses(call, [course_id for (course_id,) in moved.all()], target.id)
            move_or_delete_category_cohorts(conn, [row.id], target.id)
            conn.execute(cat.delete().where(cat.c.id == row.id))
            conn.execute(
                schema.context.delete().where(
                    schema.context.c.contextlevel == schema.CONTEXT_COURSECAT,
                    schema.context.c.instanceid == row.id,
                )
            )
        renumber(conn)
