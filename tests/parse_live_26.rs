//! Full replies captured from a live HAProxy 2.6.12 (Debian `2.6.12-1+deb12u4`) running the
//! project's `fixtures/haproxy.cfg` (2 threads), fed through every parser.
//!
//! `SHOW_STAT_QUOTED` comes from a scratch configuration whose health check got the status
//! line `HTTP/1.0 500 Bad, "very" bad`, and whose agent answered `up 75% maint "bad, stuff"`:
//! HAProxy quotes those cells (`"Bad, ""very"" bad"`, `"via agent : up (""bad)"`).
//! `SHOW_ERRORS` holds one capture of `GET /in valid HTTP/1.1`.

use haproxy_mcp_server::haproxy::parse::{
    CliLevel, ErrorDirection, OpState, ProcKind, StatKind, activity, backend, cli_level, errors,
    help, info, map, proc_list, servers_conn, servers_state, sess, stat, table, version, weight,
};

/// `show_info` (reply with the terminating empty line stripped).
const SHOW_INFO: &str = r##"Name: HAProxy
Version: 2.6.12-1+deb12u4
Release_date: 2026/10/17
Nbthread: 2
Nbproc: 1
Process_num: 1
Pid: 3115
Uptime: 0d 0h00m04s
Uptime_sec: 4
Memmax_MB: 0
PoolAlloc_MB: 0
PoolUsed_MB: 0
PoolFailed: 0
Ulimit-n: 19999
Maxsock: 19999
Maxconn: 9971
Hard_maxconn: 9971
CurrConns: 2
CumConns: 66
CumReq: 29
MaxSslConns: 0
CurrSslConns: 0
CumSslConns: 0
Maxpipes: 0
PipesUsed: 0
PipesFree: 0
ConnRate: 4
ConnRateLimit: 0
MaxConnRate: 10
SessRate: 4
SessRateLimit: 0
MaxSessRate: 10
SslRate: 0
SslRateLimit: 0
MaxSslRate: 0
SslFrontendKeyRate: 0
SslFrontendMaxKeyRate: 0
SslFrontendSessionReuse_pct: 0
SslBackendKeyRate: 0
SslBackendMaxKeyRate: 0
SslCacheLookups: 0
SslCacheMisses: 0
CompressBpsIn: 0
CompressBpsOut: 0
CompressBpsRateLim: 0
Tasks: 37
Run_queue: 0
Idle_pct: 100
node: vm
Stopping: 0
Jobs: 11
Unstoppable Jobs: 1
Listeners: 8
ActivePeers: 0
ConnectedPeers: 0
DroppedLogs: 0
BusyPolling: 0
FailedResolutions: 0
TotalBytesOut: 1990
TotalSplicdedBytesOut: 0
BytesOutRate: 480
DebugCommandsIssued: 0
CumRecvLogs: 0
Build info: 2.6.12-1+deb12u4
Memmax_bytes: 0
PoolAlloc_bytes: 157128
PoolUsed_bytes: 157128
Start_time_sec: 1795594603
Tainted: 0
"##;

/// `show_info_json` (reply with the terminating empty line stripped).
const SHOW_INFO_JSON: &str = r##"[{"field":{"pos":0,"name":"Name"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"HAProxy"}},{"field":{"pos":1,"name":"Version"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"2.6.12-1+deb12u4"}},{"field":{"pos":2,"name":"Release_date"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"2026/10/17"}},{"field":{"pos":3,"name":"Nbthread"},"processNum":1,"tags":{"origin":"Config","nature":"Gauge","scope":"Service"},"value":{"type":"u32","value":2}},{"field":{"pos":4,"name":"Nbproc"},"processNum":1,"tags":{"origin":"Config","nature":"Gauge","scope":"Service"},"value":{"type":"u32","value":1}},{"field":{"pos":5,"name":"Process_num"},"processNum":1,"tags":{"origin":"Key","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":1}},{"field":{"pos":6,"name":"Pid"},"processNum":1,"tags":{"origin":"Status","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":3115}},{"field":{"pos":7,"name":"Uptime"},"processNum":1,"tags":{"origin":"Metric","nature":"Duration","scope":"Process"},"value":{"type":"str","value":"0d 0h00m04s"}},{"field":{"pos":8,"name":"Uptime_sec"},"processNum":1,"tags":{"origin":"Metric","nature":"Duration","scope":"Process"},"value":{"type":"u32","value":4}},{"field":{"pos":9,"name":"Memmax_MB"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":10,"name":"PoolAlloc_MB"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":11,"name":"PoolUsed_MB"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":12,"name":"PoolFailed"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":13,"name":"Ulimit-n"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":19999}},{"field":{"pos":14,"name":"Maxsock"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":19999}},{"field":{"pos":15,"name":"Maxconn"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":9971}},{"field":{"pos":16,"name":"Hard_maxconn"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":9971}},{"field":{"pos":17,"name":"CurrConns"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":2}},{"field":{"pos":18,"name":"CumConns"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":67}},{"field":{"pos":19,"name":"CumReq"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":30}},{"field":{"pos":20,"name":"MaxSslConns"},"processNum":1,"tags":{"origin":"Metric","nature":"Max","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":21,"name":"CurrSslConns"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":22,"name":"CumSslConns"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":23,"name":"Maxpipes"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":24,"name":"PipesUsed"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":25,"name":"PipesFree"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":26,"name":"ConnRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":4}},{"field":{"pos":27,"name":"ConnRateLimit"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":28,"name":"MaxConnRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Max","scope":"Process"},"value":{"type":"u32","value":10}},{"field":{"pos":29,"name":"SessRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":4}},{"field":{"pos":30,"name":"SessRateLimit"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":31,"name":"MaxSessRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":10}},{"field":{"pos":32,"name":"SslRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":33,"name":"SslRateLimit"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":34,"name":"MaxSslRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Max","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":35,"name":"SslFrontendKeyRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":36,"name":"SslFrontendMaxKeyRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Max","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":37,"name":"SslFrontendSessionReuse_pct"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":38,"name":"SslBackendKeyRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":39,"name":"SslBackendMaxKeyRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Max","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":40,"name":"SslCacheLookups"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":41,"name":"SslCacheMisses"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":42,"name":"CompressBpsIn"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":43,"name":"CompressBpsOut"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":44,"name":"CompressBpsRateLim"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":47,"name":"Tasks"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":37}},{"field":{"pos":48,"name":"Run_queue"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":49,"name":"Idle_pct"},"processNum":1,"tags":{"origin":"Metric","nature":"Avg","scope":"Process"},"value":{"type":"u32","value":100}},{"field":{"pos":50,"name":"node"},"processNum":1,"tags":{"origin":"Config","nature":"Output","scope":"Service"},"value":{"type":"str","value":"vm"}},{"field":{"pos":52,"name":"Stopping"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":53,"name":"Jobs"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":11}},{"field":{"pos":54,"name":"Unstoppable Jobs"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":1}},{"field":{"pos":55,"name":"Listeners"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":8}},{"field":{"pos":56,"name":"ActivePeers"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":57,"name":"ConnectedPeers"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":58,"name":"DroppedLogs"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":59,"name":"BusyPolling"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":60,"name":"FailedResolutions"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":61,"name":"TotalBytesOut"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u64","value":3143}},{"field":{"pos":62,"name":"TotalSplicdedBytesOut"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u64","value":0}},{"field":{"pos":63,"name":"BytesOutRate"},"processNum":1,"tags":{"origin":"Metric","nature":"Rate","scope":"Process"},"value":{"type":"u64","value":1632}},{"field":{"pos":64,"name":"DebugCommandsIssued"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":65,"name":"CumRecvLogs"},"processNum":1,"tags":{"origin":"Metric","nature":"Counter","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":66,"name":"Build info"},"processNum":1,"tags":{"origin":"Product","nature":"Output","scope":"Service"},"value":{"type":"str","value":"2.6.12-1+deb12u4"}},{"field":{"pos":67,"name":"Memmax_bytes"},"processNum":1,"tags":{"origin":"Config","nature":"Limit","scope":"Process"},"value":{"type":"u32","value":0}},{"field":{"pos":68,"name":"PoolAlloc_bytes"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u64","value":157128}},{"field":{"pos":69,"name":"PoolUsed_bytes"},"processNum":1,"tags":{"origin":"Metric","nature":"Gauge","scope":"Process"},"value":{"type":"u64","value":157128}},{"field":{"pos":70,"name":"Start_time_sec"},"processNum":1,"tags":{"origin":"Metric","nature":"Duration","scope":"Process"},"value":{"type":"u32","value":1795594603}},{"field":{"pos":71,"name":"Tainted"},"processNum":1,"tags":{"origin":"Status","nature":"Gauge","scope":"Process"},"value":{"type":"str","value":"0"}}]
"##;

/// `show_stat` (reply with the terminating empty line stripped).
const SHOW_STAT: &str = r##"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_app,FRONTEND,,,2,3,9971,16,675,1168,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,3,0,6,,,,0,16,0,0,0,0,,3,6,16,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,3,6,16,16,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,16,16,471,1303,0,0,
fe_agent,FRONTEND,,,0,1,9971,4,0,0,4,0,0,,,,,OPEN,,,,,,,,,1,3,0,,,,0,1,0,1,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,1,1,4,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
fe_main,FRONTEND,,,0,1,9971,3,246,219,0,0,0,,,,,OPEN,,,,,,,,,1,4,0,,,,0,0,0,3,,,,0,3,0,0,0,0,,0,3,3,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,3,3,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,3,237,198,0,0,
fe_tcp,FRONTEND,,,0,0,9971,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,5,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_app,app1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,6,1,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app2,0,0,0,1,,3,246,219,,0,,0,0,0,0,UP,20,1,0,0,0,4,0,,1,6,2,,3,,2,0,,3,L7OK,200,0,0,3,0,0,0,0,,,,3,0,0,,,,,2,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,3,0,,,2,,0,0,0,0,0,2,0,0,1,20,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,4,4,,1,6,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app4,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,3,3,,1,6,4,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,1,0,,,,127.0.0.1:1,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app_backup,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,0,1,0,0,4,0,,1,6,5,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,BACKEND,0,0,0,1,998,3,246,219,0,0,,0,0,0,0,UP,21,2,1,,0,4,0,,1,6,0,,3,,1,0,,3,,,,0,3,0,0,0,0,,,,3,0,0,0,0,0,0,2,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,3,0,0,0,,,0,0,0,0,0,,,,,21,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,20,20,1303,471,0,0,
be_api,api1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,7,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,TCPCHK got an empty response at step 2,0,0,0,0,L7RSP,,0,Layer4 check passed,Layer7 invalid response,2,3,4,1,1,1,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_api,api2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,7,2,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_api,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,4,0,,1,7,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,leastconn,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_static,static1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,8,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_static,static2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,8,2,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,127.0.0.1:28082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_static,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,4,0,,1,8,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,static-rr,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_tcp,tcp1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,4,0,,1,9,1,,0,,2,0,,0,L4OK,,0,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,127.0.0.1:28082,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_tcp,BACKEND,0,0,0,0,998,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,4,0,,1,9,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
st_clients,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,0,0,0,,0,4,,,1,10,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
"##;

/// `show_stat_user` (reply with the terminating empty line stripped).
const SHOW_STAT_USER: &str = r##"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_app,FRONTEND,,,2,3,9971,17,708,1241,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,4,0,6,,,,0,17,0,0,0,0,,4,6,17,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,4,6,17,17,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,17,17,489,1388,0,0,
fe_agent,FRONTEND,,,0,1,9971,4,0,0,4,0,0,,,,,OPEN,,,,,,,,,1,3,0,,,,0,1,0,1,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,1,1,4,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
fe_main,FRONTEND,,,0,1,9971,3,246,219,0,0,0,,,,,OPEN,,,,,,,,,1,4,0,,,,0,0,0,3,,,,0,3,0,0,0,0,,0,3,3,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,3,3,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,3,237,198,0,0,
fe_tcp,FRONTEND,,,0,0,9971,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,5,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_app,app1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,6,1,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app2,0,0,0,1,,3,246,219,,0,,0,0,0,0,UP,20,1,0,0,0,5,0,,1,6,2,,3,,2,0,,3,L7OK,200,0,0,3,0,0,0,0,,,,3,0,0,,,,,3,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,,,http,,,,,,,,0,3,0,,,2,,0,0,0,0,0,2,0,0,1,20,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,5,5,,1,6,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app4,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,4,4,,1,6,4,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,1,0,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,app_backup,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,0,1,0,0,5,0,,1,6,5,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_app,BACKEND,0,0,0,1,998,3,246,219,0,0,,0,0,0,0,UP,21,2,1,,0,5,0,,1,6,0,,3,,1,0,,3,,,,0,3,0,0,0,0,,,,3,0,0,0,0,0,0,3,,,0,0,0,0,,,,,,,,,,,,,,http,,,,,,,,0,3,0,0,0,,,0,0,0,0,0,,,,,21,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,21,21,1388,489,0,0,
be_api,api1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,7,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,TCPCHK got an empty response at step 2,0,0,0,0,L7RSP,,0,Layer4 check passed,Layer7 invalid response,2,3,4,1,1,1,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_api,api2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,7,2,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_api,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,5,0,,1,7,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_static,static1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,8,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_static,static2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,8,2,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_static,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,5,0,,1,8,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_tcp,tcp1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,9,1,,0,,2,0,,0,L4OK,,0,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_tcp,BACKEND,0,0,0,0,998,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,5,0,,1,9,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
st_clients,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,0,0,0,,0,5,,,1,10,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
"##;

/// `show_stat_quoted` (reply with the terminating empty line stripped).
const SHOW_STAT_QUOTED: &str = r##"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_app,FRONTEND,,,0,0,9985,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_x,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,3,0,,1,3,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,agent reports an error : down#reason,0,0,0,0,CHECKED,,0,Layer4 check passed,No status change,2,3,4,1,1,1,127.0.0.1:28182,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_x,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,3,0,,1,3,2,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,,,,127.0.0.1:28182,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_x,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,3,0,,1,3,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,2,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
be_y,w1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,2,2,,1,4,1,,0,,2,0,,0,L7STS,500,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,"Bad, ""very"" bad",,0,0,0,0,,,,Layer7 wrong status,,2,3,0,,,,127.0.0.1:28184,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_y,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,DOWN,0,0,0,,1,2,2,,1,4,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,3,153,54,0,0,
"##;

/// `show_servers_state` (reply with the terminating empty line stripped).
const SHOW_SERVERS_STATE: &str = r##"1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
6 be_app 1 app1 127.0.0.1 2 0 1 1 4 15 3 4 6 0 0 0 - 28082 - 0 0 - - 0
6 be_app 2 app2 127.0.0.1 2 0 20 20 4 15 3 4 6 0 0 0 - 28082 - 0 0 - - 0
6 be_app 3 app3 127.0.0.1 0 5 1 1 4 1 0 0 14 0 0 0 - 28082 - 0 0 - - 0
6 be_app 4 app4 127.0.0.1 0 0 1 1 3 8 2 0 6 0 0 0 - 1 - 0 0 - - 0
6 be_app 5 app_backup 127.0.0.1 2 0 1 1 4 15 3 4 6 0 0 0 - 28082 - 0 0 - - 0
7 be_api 1 api1 127.0.0.1 2 0 1 1 4 6 3 4 6 22 0 0 - 28082 - 0 0 - - 28083
7 be_api 2 api2 127.0.0.1 2 0 1 1 4 6 3 4 6 0 0 0 - 28082 - 0 0 - - 0
8 be_static 1 static1 127.0.0.1 2 0 1 1 4 6 3 4 6 0 0 0 - 28082 - 0 0 - - 0
8 be_static 2 static2 127.0.0.1 2 0 1 1 4 6 3 4 6 0 0 0 - 28082 - 0 0 - - 0
9 be_tcp 1 tcp1 127.0.0.1 2 0 1 1 4 6 3 4 6 0 0 0 - 28082 - 0 0 - - 0
"##;

/// `show_servers_conn` (reply with the terminating empty line stripped).
const SHOW_SERVERS_CONN: &str = r##"# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]
be_app/app1 6/1 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_app/app2 6/2 127.0.0.1 28082 - 5000 0 1 1 2 0 -1 2 1 1
be_app/app3 6/3 127.0.0.1 28082 - 5000 0 0 0 0 0 -1 0 0 0
be_app/app4 6/4 127.0.0.1 1 - 5000 0 1 1 0 0 -1 0 0 0
be_app/app_backup 6/5 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_api/api1 7/1 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_api/api2 7/2 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_static/static1 8/1 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_static/static2 8/2 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
be_tcp/tcp1 9/1 127.0.0.1 28082 - 5000 0 1 1 0 0 -1 0 0 0
"##;

/// `show_backend` (reply with the terminating empty line stripped).
const SHOW_BACKEND: &str = r##"# name
be_app
be_api
be_static
be_tcp
st_clients
"##;

/// `show_table` (reply with the terminating empty line stripped).
const SHOW_TABLE: &str = r##"# table: st_clients, type: ip, size:1024, used:1
"##;

/// `show_table_st_clients` (reply with the terminating empty line stripped).
const SHOW_TABLE_ST_CLIENTS: &str = r##"# table: st_clients, type: ip, size:1024, used:1
0x56316e5cfe28: key=127.0.0.1 use=0 exp=597914 gpc0=0 conn_cur=0 http_req_cnt=3 http_req_rate(10000)=3
"##;

/// `show_table_st_clients_user` (reply with the terminating empty line stripped).
const SHOW_TABLE_ST_CLIENTS_USER: &str = r##"# table: st_clients, type: ip, size:1024, used:1
# contents not dumped due to insufficient privileges
"##;

/// `show_map` (reply with the terminating empty line stripped).
const SHOW_MAP: &str = r##"# id (file) description
4 (/work/main/fixtures/hosts.map) pattern loaded from file '/work/main/fixtures/hosts.map' used by map at file '/work/main/fixtures/haproxy.cfg' line 45. curr_ver=0 next_ver=0 entry_cnt=3
"##;

/// `show_acl` (reply with the terminating empty line stripped).
const SHOW_ACL: &str = r##"# id (file) description
0 (/work/main/fixtures/blocked.acl) pattern loaded from file '/work/main/fixtures/blocked.acl' used by acl at file '/work/main/fixtures/haproxy.cfg' line 42. curr_ver=0 next_ver=0 entry_cnt=2
1 () acl 'src' file '/work/main/fixtures/haproxy.cfg' line 42. curr_ver=0 next_ver=0 entry_cnt=0
2 () acl 'var' file 'httpclient' line 0. curr_ver=0 next_ver=0 entry_cnt=1
3 () acl 'var' file 'httpclient' line 0. curr_ver=0 next_ver=0 entry_cnt=1
"##;

/// `show_map__4` (reply with the terminating empty line stripped).
const SHOW_MAP_4: &str = r##"0x56316e3eefb0 app.example.com be_app
0x56316e3ef040 api.example.com be_api
0x56316e3ef0d0 static.example.com be_static
"##;

/// `show_acl__0` (reply with the terminating empty line stripped).
const SHOW_ACL_0: &str = r##"0x56316e3cbc80 192.0.2.1
0x56316e3cbcd0 198.51.100.0/24
"##;

/// `get_map__4_api_example_com` (reply with the terminating empty line stripped).
const GET_MAP_FOUND: &str = r##"type=str, case=sensitive, found=yes, idx=tree, key="api.example.com", value="be_api", type="str"
"##;

/// `get_map__0_x` (reply with the terminating empty line stripped).
const GET_MAP_NOT_FOUND: &str = r##"type=ip, case=sensitive, found=no
"##;

/// `get_acl__0_198_51_100_7` (reply with the terminating empty line stripped).
const GET_ACL_MATCH: &str = r##"type=ip, case=sensitive, match=yes, idx=tree, pattern="198.51.100.0/24"
"##;

/// `get_acl__0_1_1_1_1` (reply with the terminating empty line stripped).
const GET_ACL_NO_MATCH: &str = r##"type=ip, case=sensitive, match=no
"##;

/// `show_errors` (reply with the terminating empty line stripped).
const SHOW_ERRORS: &str = r##"Total events captured on [25/Nov/2026:08:16:59.117] : 1
 
[25/Nov/2026:08:16:57.470] frontend fe_main (#4): invalid request
  backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:38424
  buffer starts at 0 (including 0 out), 16337 free,
  len 47, wraps at 16336, error at position 8
  H1 connection flags 0x00000100, H1 stream flags 0x00000810
  H1 msg state MSG_RQVER(6), H1 msg flags 0x00001400
  H1 chunk len 0 bytes, H1 body len 0 bytes :
  
  00000  GET /in valid HTTP/1.1\r\n
  00024  Host: x\r\n
  00033  Bad Header\r\n
  00045  \r\n
"##;

/// `show_activity` (reply with the terminating empty line stripped).
const SHOW_ACTIVITY: &str = r##"thread_id: 1 (1..2)
date_now: 1795594607.960289
ctxsw: 375 [ 189 186 ]
tasksw: 223 [ 110 113 ]
empty_rq: 20 [ 11 9 ]
long_rq: 0 [ 0 0 ]
loops: 215 [ 109 106 ]
wake_tasks: 0 [ 0 0 ]
wake_signal: 0 [ 0 0 ]
poll_io: 131 [ 67 64 ]
poll_exp: 1 [ 1 0 ]
poll_drop_fd: 0 [ 0 0 ]
poll_skip_fd: 0 [ 0 0 ]
conn_dead: 0 [ 0 0 ]
stream_calls: 62 [ 33 29 ]
pool_fail: 0 [ 0 0 ]
buf_wait: 0 [ 0 0 ]
cpust_ms_tot: 0 [ 0 0 ]
cpust_ms_1s: 0 [ 0 0 ]
cpust_ms_15s: 0 [ 0 0 ]
avg_loop_us: 15 [ 16 14 ]
accepted: 36 [ 20 16 ]
accq_pushed: 36 [ 19 17 ]
accq_full: 0 [ 0 0 ]
accq_ring: 0 [ 0 0 ]
fd_takeover: 0 [ 0 0 ]
"##;

/// `help` (reply with the terminating empty line stripped).
const HELP: &str = r##"The following commands are valid at this level:
  abort ssl ca-file <cafile>              : abort a transaction for a CA file
  abort ssl cert <certfile>               : abort a transaction for a certificate file
  abort ssl crl-file <crlfile>            : abort a transaction for a CRL file
  add acl [@<ver>] <acl> <pattern>        : add an acl entry
  add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)
  add server <bk>/<srv>                   : create a new server
  add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload
  clear acl [@<ver>] <acl>                : clear the contents of this acl
  clear counters [all]                    : clear max statistics counters (or all counters)
  clear map [@<ver>] <map>                : clear the contents of this map
  clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)
  commit acl @<ver> <acl>                 : commit the ACL at this version
  commit map @<ver> <map>                 : commit the map at this version
  commit ssl ca-file <cafile>             : commit a CA file
  commit ssl cert <certfile>              : commit a certificate file
  commit ssl crl-file <crlfile>           : commit a CRL file
  del acl <acl> [<key>|#<ref>]            : delete acl entries matching <key>
  del map <map> [<key>|#<ref>]            : delete map entries matching <key>
  del server <bk>/<srv>                   : remove a dynamically added server
  del ssl ca-file <cafile>                : delete an unused CA file
  del ssl cert <certfile>                 : delete an unused certificate file
  del ssl crl-file <crlfile>              : delete an unused CRL file
  del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>
  disable agent                           : disable agent checks
  disable dynamic-cookie backend <bk>     : disable dynamic cookies on a specific backend
  disable frontend <frontend>             : temporarily disable specific frontend
  disable health                          : disable health checks
  disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)
  enable agent                            : enable agent checks
  enable dynamic-cookie backend <bk>      : enable dynamic cookies on a specific backend
  enable frontend <frontend>              : re-enable specific frontend
  enable health                           : enable health checks
  enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)
  get acl <acl> <value>                   : report the patterns matching a sample for an ACL
  get map <acl> <value>                   : report the keys and values matching a sample for a map
  get var <name>                          : retrieve contents of a process-wide variable
  get weight <bk>/<srv>                   : report a server's current weight
  new ssl ca-file <cafile>                : create a new CA file to be used in a crt-list
  new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory
  new ssl crlfile <crlfile>               : create a new CRL file to be used in a crt-list
  operator                                : lower the level of the current CLI session to operator
  prepare acl <acl>                       : prepare a new version for atomic ACL replacement
  prepare map <acl>                       : prepare a new version for atomic map replacement
  set dynamic-cookie-key backend <bk> <k> : change a backend secret key for dynamic cookies
  set map <map> [<key>|#<ref>] <value>    : modify a map entry
  set maxconn frontend <frontend> <value> : change a frontend's maxconn setting
  set maxconn global <value>              : change the per-process maxconn setting
  set maxconn server <bk>/<srv>           : change a server's maxconn setting
  set profiling <what> {auto|on|off}      : enable/disable resource profiling (tasks,memory)
  set rate-limit <setting> <value>        : change a rate limiting value
  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl
  set severity-output [none|number|string]: set presence of severity level in feedback information
  set ssl ca-file <cafile> <payload>      : replace a CA file
  set ssl cert <certfile> <payload>       : replace a certificate file
  set ssl crl-file <crlfile> <payload>    : replace a CRL file
  set ssl ocsp-response <resp|payload>    : update a certificate's OCSP Response from a base64-encode DER
  set ssl tls-key [id|file] <key>         : set the next TLS key for the <id> or <file> listener to <key>
  set table <table> key <k> [data.* <v>]* : update or create a table entry's data
  set timeout [cli] <delay>               : change a timeout setting
  set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)
  show acl [@<ver>] <acl>]                : report available acls or dump an acl's contents
  show activity                           : show per-thread activity stats (for support/developers)
  show backend                            : list backends in the current running config
  show cache                              : show cache status
  show cli level                          : display the level of the current CLI session
  show cli sockets                        : dump list of cli sockets
  show env [var]                          : dump environment variables known to the process
  show errors [<px>] [request|response]   : report last request and/or response errors for each proxy
  show events [<sink>] [-w] [-n]          : show event sink state
  show fd [num]                           : dump list of file descriptors in use or a specific one
  show info [desc|json|typed|float]*      : report information about the running process
  show libs                               : show loaded object files and libraries
  show map [@ver] [map]                   : report available maps or dump a map's contents
  show peers [dict|-] [section]           : dump some information about all the peers or this peers section
  show pools                              : report information about the memory pools usage
  show profiling [<what>|<#lines>|byaddr]*: show profiling state (all,status,tasks,memory)
  show resolvers [id]                     : dumps counters from all resolvers section and associated name servers
  show schema json                        : report schema used for stats
  show servers conn [<backend>]           : dump server connections status (all or for a single backend)
  show servers state [<backend>]          : dump volatile server information (all or for a single backend)
  show sess [id]                          : report the list of current sessions or dump this exact session
  show ssl ca-file [<cafile>[:<index>]]   : display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>
  show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file
  show ssl crl-file [<crlfile[:<index>>]] : display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>
  show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>
  show ssl ocsp-response [id]             : display the IDs of the OCSP responses used in memory, or the details of a single OCSP response
  show ssl providers                      : show loaded SSL providers
  show startup-logs                       : report logs emitted during HAProxy startup
  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server
  show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)
  show tasks                              : show running tasks
  show threads                            : show some threads debugging information
  show tls-keys [id|*]                    : show tls keys references or dump tls ticket keys when id specified
  show trace [<module>]                   : show live tracing state
  show version                            : show version of the current process
  shutdown frontend <frontend>            : stop a specific frontend
  shutdown session [id]                   : kill a specific session
  shutdown sessions server <bk>/<srv>     : kill sessions on a server
  trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to stop all)
  user                                    : lower the level of the current CLI session to user
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
"##;

/// `foobar` (reply with the terminating empty line stripped).
const UNKNOWN_COMMAND: &str = r##"Unknown command, but maybe one of the following ones is a better match:
  clear acl [@<ver>] <acl>                : clear the contents of this acl
  get var <name>                          : retrieve contents of a process-wide variable
  operator                                : lower the level of the current CLI session to operator
  trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to stop all)
  user                                    : lower the level of the current CLI session to user
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
"##;

/// `help_master` (reply with the terminating empty line stripped).
const MASTER_HELP: &str = r##"The following commands are valid at this level:
  @!<pid>                                 : send a command to the <pid> process
  @<relative pid>                         : send a command to the <relative pid> process
  @master                                 : send a command to the master process
  operator                                : lower the level of the current CLI session to operator
  reload                                  : reload haproxy
  show cli level                          : display the level of the current CLI session
  show cli sockets                        : dump list of cli sockets
  show proc                               : show processes status
  show version                            : show version of the current process
  user                                    : lower the level of the current CLI session to user
  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
"##;

/// `show_cli_level` (reply with the terminating empty line stripped).
const SHOW_CLI_LEVEL: &str = r##"admin
"##;

/// `show_cli_level_user` (reply with the terminating empty line stripped).
const SHOW_CLI_LEVEL_USER: &str = r##"user
"##;

/// `get_weight_be_app_app2` (reply with the terminating empty line stripped).
const GET_WEIGHT: &str = r##"20 (initial 20)
"##;

/// `show_version` (reply with the terminating empty line stripped).
const SHOW_VERSION: &str = r##"2.6.12-1+deb12u4
"##;

/// `show_proc_master` (reply with the terminating empty line stripped).
const MASTER_SHOW_PROC: &str = r##"#<PID>          <type>          <reloads>       <uptime>        <version>      
3112            master          0 [failed: 0]   0d00h00m18s     2.6.12-1+deb12u4
# workers
3115            worker          0               0d00h00m18s     2.6.12-1+deb12u4
# programs
"##;

/// `show_sess` (reply with the terminating empty line stripped).
const SHOW_SESS: &str = r##"0x56316e4a13b0: proto=tcpv4 src=127.0.0.1:50916 fe=fe_tcp be=be_tcp srv=tcp1 ts=00 epoch=0x1 age=2s calls=2 rate=0 cpu=0 lat=0 rq[f=808000h,i=0,an=00h,rx=58s,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=58s,wx=,ax=] scf=[8,0h,fd=19] scb=[8,1h,fd=20] exp=0s rc=0 c_exp=
0x56316e5d0bf0: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0x1 age=0s calls=1 rate=1 cpu=0 lat=0 rq[f=c08002h,i=0,an=00h,rx=30s,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=23] scb=[8,1h,fd=-1] exp=30s rc=0 c_exp=
"##;

/// `show_sess_id` (reply with the terminating empty line stripped).
const SHOW_SESS_ID: &str = r##"0x56316e4a13b0: [25/Nov/2026:08:16:57.467280] id=99 proto=tcpv4 source=127.0.0.1:50916
  flags=0x4a, conn_retries=0, conn_exp=<NEVER> conn_et=0x000 srv_conn=0x56316e3dd110, pend_pos=(nil) waiting=0 epoch=0x1
  frontend=fe_tcp (id=5 mode=tcp), listener=? (id=1) addr=127.0.0.1:28081
  backend=be_tcp (id=9 mode=tcp) addr=127.0.0.1:44176
  server=tcp1 (id=1) addr=127.0.0.1:28082
  task=0x56316e5cb800 (state=0x00 nice=0 calls=2 rate=0 exp=0s tmask=0x1 age=2s)
  scf=0x56316e3bce60 flags=0x00000000 state=EST endp=CONN,0x56316e5d10b0,0x028c0001 sub=1
      co0=0x7fea18046680 ctrl=tcpv4 xprt=RAW mux=PASS data=STRM target=LISTENER:0x56316e3cb500
      flags=0x00000300 fd=19 fd.state=21 updt=0 fd.tmask=0x1
  scb=0x56316e565a70 flags=0x00000001 state=EST endp=CONN,0x56316e5d02b0,0x028c0001 sub=1
      co1=0x56316e5cb730 ctrl=tcpv4 xprt=RAW mux=PASS data=STRM target=SERVER:0x56316e3dd110
      flags=0x10000300 fd=20 fd.state=10421 updt=0 fd.tmask=0x1
  req=0x56316e4a13d0 (f=0x808000 an=0x0 pipe=0 tofwd=-1 total=0)
      an_exp=<NEVER> rex=58s wex=<NEVER>
      buf=0x56316e4a13d8 data=(nil) o=0 p=0 i=0 size=0
  res=0x56316e4a1430 (f=0x80008000 an=0x0 pipe=0 tofwd=-1 total=0)
      an_exp=<NEVER> rex=58s wex=<NEVER>
      buf=0x56316e4a1438 data=(nil) o=0 p=0 i=0 size=0
"##;

#[test]
fn info_plain_and_json_agree() {
    let plain = info::parse(SHOW_INFO).unwrap();
    let json = info::parse_json(SHOW_INFO_JSON).unwrap();
    assert_eq!(plain.version(), Some("2.6.12-1+deb12u4"));
    assert_eq!(plain.nbthread(), Some(2));
    assert!(plain.get("TotalSplicdedBytesOut").is_some());
    assert_eq!(plain.total_spliced_bytes_out(), Some(0));
    assert_eq!(plain.get("Unstoppable Jobs"), Some("1"));
    // The two captures were taken a moment apart: same fields, same static values.
    for f in &plain.fields {
        assert!(json.get(&f.name).is_some(), "{}", f.name);
    }
    for name in [
        "Name",
        "Version",
        "Release_date",
        "Nbthread",
        "Pid",
        "Maxconn",
        "node",
    ] {
        assert_eq!(json.get(name), plain.get(name), "{name}");
    }
    assert_eq!(json.pid(), Some(3115));
}

#[test]
fn stat_admin_and_user() {
    let admin = stat::parse(SHOW_STAT).unwrap();
    assert_eq!(admin.columns.len(), 128);
    assert_eq!(admin.rows.len(), 19);
    for row in &admin.rows {
        assert_eq!(row.cell_count(), 128, "{}/{}", row.proxy, row.name);
    }
    assert_eq!(admin.of_kind(StatKind::Frontend).count(), 4);
    assert_eq!(admin.of_kind(StatKind::Backend).count(), 5);
    assert_eq!(admin.of_kind(StatKind::Server).count(), 10);
    let app3 = admin.find("be_app", "app3").unwrap();
    assert_eq!(app3.status.as_deref(), Some("MAINT"));
    let app4 = admin.find("be_app", "app4").unwrap();
    assert_eq!(app4.status.as_deref(), Some("DOWN"));
    assert_eq!(app4.check_status.as_deref(), Some("L4CON"));
    assert_eq!(app4.addr.as_deref(), Some("127.0.0.1:1"));
    let backup = admin.find("be_app", "app_backup").unwrap();
    assert_eq!((backup.act, backup.bck), (Some(0), Some(1)));
    let api1 = admin.find("be_api", "api1").unwrap();
    assert_eq!(api1.agent_status.as_deref(), Some("L7RSP"));
    assert_eq!(api1.agent_desc.as_deref(), Some("Layer7 invalid response"));

    // The user level blanks `addr` and `cookie`.
    let user = stat::parse(SHOW_STAT_USER).unwrap();
    assert_eq!(user.rows.len(), admin.rows.len());
    assert_eq!(user.find("be_app", "app4").unwrap().addr, None);
}

#[test]
fn stat_quoted_cells() {
    let r = stat::parse(SHOW_STAT_QUOTED).unwrap();
    let w1 = r.find("be_y", "w1").unwrap();
    assert_eq!(w1.last_chk.as_deref(), Some("Bad, \"very\" bad"));
    assert_eq!(w1.check_status.as_deref(), Some("L7STS"));
    assert_eq!(w1.check_code, Some(500));
    assert_eq!(w1.cell_count(), r.columns.len());
    let s1 = r.find("be_x", "s1").unwrap();
    assert_eq!(
        s1.get("last_agt"),
        Some("agent reports an error : down#reason")
    );
}

#[test]
fn servers_state_and_conn() {
    let s = servers_state::parse(SHOW_SERVERS_STATE).unwrap();
    assert_eq!(s.version, 1);
    assert_eq!(s.servers.len(), 10);
    let summary: Vec<_> = s
        .servers
        .iter()
        .map(|x| (x.name.as_str(), x.verdict().condition.word()))
        .collect();
    assert!(summary.contains(&("app3", "MAINT")));
    assert!(summary.contains(&("app4", "DOWN")));
    assert!(summary.contains(&("app1", "UP")));
    assert!(s.servers.iter().all(|x| x.extra.is_empty()));
    let app4 = s.servers.iter().find(|x| x.name == "app4").unwrap();
    assert_eq!(app4.op_state, OpState::Stopped);
    assert_eq!(app4.port, Some(1));

    let c = servers_conn::parse(SHOW_SERVERS_CONN).unwrap();
    assert_eq!(c.rows.len(), 10);
    assert!(c.rows.iter().all(|r| r.idle_per_thread.len() == 2));
}

#[test]
fn backends_and_tables() {
    assert_eq!(
        backend::parse(SHOW_BACKEND).unwrap(),
        ["be_app", "be_api", "be_static", "be_tcp", "st_clients"]
    );
    let tables = table::parse_list(SHOW_TABLE).unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables.first().unwrap().key_type, "ip");
    let dump = table::parse_entries(SHOW_TABLE_ST_CLIENTS).unwrap();
    assert_eq!(dump.entries.len(), 1);
    let e = dump.entries.first().unwrap();
    assert_eq!(e.key, "127.0.0.1");
    assert_eq!(e.get("http_req_rate").unwrap().period_ms, Some(10000));
    let hidden = table::parse_entries(SHOW_TABLE_ST_CLIENTS_USER).unwrap();
    assert!(hidden.contents_hidden);
    assert!(hidden.entries.is_empty());
    assert_eq!(hidden.table.unwrap().name, "st_clients");
}

#[test]
fn maps_and_acls() {
    let maps = map::parse_list(SHOW_MAP).unwrap();
    assert_eq!(maps.len(), 1);
    assert_eq!(maps.first().unwrap().entry_cnt, Some(3));
    let acls = map::parse_list(SHOW_ACL).unwrap();
    assert_eq!(acls.len(), 4);
    assert_eq!(acls.iter().filter(|a| a.file.is_none()).count(), 3);
    let entries = map::parse_map_entries(SHOW_MAP_4).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries.get(2).unwrap().value, "be_static");
    let patterns = map::parse_acl_entries(SHOW_ACL_0).unwrap();
    assert_eq!(patterns.get(1).unwrap().pattern, "198.51.100.0/24");
    let found = map::parse_get_map(GET_MAP_FOUND).unwrap();
    assert_eq!(found.value.as_deref(), Some("be_api"));
    assert!(!map::parse_get_map(GET_MAP_NOT_FOUND).unwrap().found);
    let m = map::parse_get_acl(GET_ACL_MATCH).unwrap();
    assert!(m.matched);
    assert_eq!(m.pattern.as_deref(), Some("198.51.100.0/24"));
    assert!(!map::parse_get_acl(GET_ACL_NO_MATCH).unwrap().matched);
}

#[test]
fn errors_activity_help() {
    let e = errors::parse(SHOW_ERRORS).unwrap();
    assert_eq!(e.total, 1);
    let ev = e.events.first().unwrap();
    assert_eq!(ev.direction, ErrorDirection::Request);
    assert_eq!(ev.frontend.as_deref(), Some("fe_main"));
    assert_eq!(ev.error_position, Some(8));
    assert_eq!(ev.raw.lines().count(), 12);

    let a = activity::parse(SHOW_ACTIVITY).unwrap();
    assert_eq!(a.get("ctxsw").unwrap().per_thread.len(), 2);
    assert_eq!(a.get("thread_id").unwrap().total, "1 (1..2)");

    let h = help::parse(HELP).unwrap();
    assert_eq!(h.header, "The following commands are valid at this level:");
    assert_eq!(h.commands.len(), 103);
    assert!(h.commands.iter().all(|c| !c.description.is_empty()));
    assert!(h.commands.iter().all(|c| !c.usage.ends_with(' ')));
    let u = help::parse(UNKNOWN_COMMAND).unwrap();
    assert!(u.header.starts_with("Unknown command"));
    assert_eq!(u.commands.last().unwrap().usage, "quit");
    let m = help::parse(MASTER_HELP).unwrap();
    assert_eq!(m.commands.first().unwrap().usage, "@!<pid>");
}

#[test]
fn small_replies() {
    assert_eq!(cli_level::parse(SHOW_CLI_LEVEL).unwrap(), CliLevel::Admin);
    assert_eq!(
        cli_level::parse(SHOW_CLI_LEVEL_USER).unwrap(),
        CliLevel::User
    );
    let w = weight::parse(GET_WEIGHT).unwrap();
    assert_eq!((w.current, w.initial), (20, 20));
    let v = version::parse(SHOW_VERSION).unwrap();
    assert_eq!(v, "2.6.12-1+deb12u4");
    assert_eq!(version::parse_release(&v), Some((2, 6)));
    let p = proc_list::parse(MASTER_SHOW_PROC).unwrap();
    assert_eq!(p.processes.len(), 2);
    assert_eq!(p.master().unwrap().reloads, "0 [failed: 0]");
    assert_eq!(p.processes.get(1).unwrap().kind, ProcKind::Worker);
}

#[test]
fn sessions() {
    let l = sess::parse_list(SHOW_SESS).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l.iter().filter(|s| s.is_cli).count(), 1);
    let tcp = l.iter().find(|s| !s.is_cli).unwrap();
    assert_eq!(tcp.server.as_deref(), Some("tcp1"));
    let d = sess::parse_detail(SHOW_SESS_ID).unwrap();
    assert_eq!(d.id, tcp.id);
    assert_eq!(d.uniq_id, Some(99));
    assert_eq!(d.backend.as_deref(), Some("be_tcp"));
    assert!(d.raw.ends_with("size=0"));
}
