window.TP_ADMIN1 = window.TP_ADMIN1 || {};
window.TP_ADMIN1["1-4"] = JSON.parse('{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-120.0,60.0],[-120.001,53.823],[-120.0,53.82139999999999]]}}');
