"""core_webservice_get_site_info."""

from __future__ import annotations

from typing import Any

from ..call import Call
from ..db.bootstrap import SITE_NAME
from ..ws.spec import functions, release


def get_site_info(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    release_name, version = release()
    return {
        "sitename": SITE_NAME,
        "username": "wsuser",
        "firstname": "Web service",
        "lastname": "Sync",
        "fullname": "Web service Sync",
        "lang": "en",
        "userid": 3,
        "siteurl": call.site_url,
        "userpictureurl": call.picture_url("f1"),
        "functions": [
            {"name": name, "version": functions()[name].version} for name in call.service
        ],
        "downloadfiles": 0,
        "uploadfiles": 0,
        "release": release_name,
        "version": version,
        "mobilecssurl": "",
        "advancedfeatures": [
            {"name": name, "value": value}
            for name, value in [
                ("usecomments", 1),
                ("usetags", 1),
                ("enablenotes", 1),
                ("messaging", 1),
                ("enableblogs", 1),
                ("enablecompletion", 1),
                ("enablebadges", 1),
                ("messagingallusers", 0),
                ("enablecustomreports", 1),
                ("mnet_dispatcher_mode", 0),
            ]
        ],
        "usercanmanageownfiles": True,
        "userquota": 0,
        "usermaxuploadfilesize": -1,
        "userhomepage": 1,
        "userprivateaccesskey": "0123456789abcdef0123456789abcdef",
        "siteid": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": "gregorian",
        "userissiteadmin": True,
        "theme": "boost",
        "limitconcurrentlogins": 0,
    }
