window.TP_ADMIN1 = window.TP_ADMIN1 || {};
window.TP_ADMIN1["11-4"] = JSON.parse('{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[156.076,51.276],[156.303,51.184],[156.488,51.086],[156.555,50.963],[156.58,50.81],[156.659,50.668],[157.003,50.312]]}}');
