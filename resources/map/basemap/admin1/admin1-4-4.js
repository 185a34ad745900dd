window.TP_ADMIN1 = window.TP_ADMIN1 || {};
window.TP_ADMIN1["4-4"] = JSON.parse('{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-60.0,52.0],[-57.101,52.0],[-57.101,51.419]]}}');
