window.TP_ADMIN1 = window.TP_ADMIN1 || {};
window.TP_ADMIN1["7-1"] = JSON.parse('{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[30.0,-30.838574712643677],[30.061,-30.854],[30.073,-30.889],[30.12,-30.918],[30.137,-31.01],[30.196,-31.078]]}}');
