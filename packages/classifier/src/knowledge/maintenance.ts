import { linear } from '../linear.ts';
import { DEFENDER_DIR, PROGRAM_FILES, SYSTEM_DIR, USER_WRITABLE, WINDOWS_DIR } from './paths.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Routine Windows activity, read from metadata only: image paths the sensor measured, module
 * signatures it verified, event ids and logon types Windows wrote, the verdict of an
 * application-control policy. Every row here is benign-leaning, so every signal it names must
 * be metadata (the matcher drops a row that matched content, and the rules engine's provenance
 * gate checks `basis` again). Words in a command line ("update", "maintenance") never count.
 */

const SYSTEM_SERVICE_PARENT = `${SYSTEM_DIR}(?:svchost|services|taskhostw|taskeng|wininit|tiworker|trustedinstaller|usoclient|wuauclt|mousocoreworker|usocoreworker|compattelrunner|sihost)\\.exe$|${DEFENDER_DIR}`;

/** OS maintenance programs, each in the folder Windows installs it to. */
const MAINTENANCE = `${SYSTEM_DIR}(?:[^\\\\]+\\\\)*(?:tiworker|trustedinstaller|wuauclt|wuaucltcore|usoclient|mousocoreworker|usocoreworker|musnotification|musnotificationux|compattelrunner|devicecensus|wsqmcons|aitstatic|sppsvc|sppextcomobj|defrag|cleanmgr|dismhost|dism|sdiagnhost|mrt|mpsigstub|taskhostw|backgroundtaskhost|searchprotocolhost|searchfilterhost|searchindexer|wermgr|werfault|wsappx|clipup|disksnapshot|srtasks|tzsync|gpupdate|wbengine|vssvc|provtool|directxdatabaseupdater|bthudtask|dstokenclean|wifitask|edpcleanup|mdmagent|omadmclient|deviceenroller|appidpolicyconverter|sfc|chkdsk|consent|ngentask|ngen|mscorsvw|wsreset|unregmp2|wmpnscfg|printisolationhost|securityhealthhost|securityhealthservice|smartscreen|sgrmbroker|speechmodeldownload|systemsettingsbroker|remsh|sihclient|upfc|waasmedicagent|windowsupdatebox|usoapi)\\.exe$|${DEFENDER_DIR}|${WINDOWS_DIR}(?:servicing|softwaredistribution|winsxs|microsoft\\.net|ccm|ccmsetup|uus)\\\\|${PROGRAM_FILES}(?:common files\\\\microsoft shared\\\\clicktorun|microsoft office\\\\root\\\\integration|microsoft update health tools|windows defender|microsoft\\\\edgeupdate|google\\\\update|mozilla maintenance service)\\\\|\\\\microsoft\\\\edgeupdate\\\\|\\\\google\\\\update\\\\`;

/** Hosts whose behaviour is whatever script or DLL they were given. */
const SCRIPT_HOSTS = String.raw`\\(?:mshta|wscript|cscript|rundll32|regsvr32|msbuild|installutil|regasm|regsvcs|powershell|pwsh|cmd|werfaultsecure|odbcconf|cmstp|msiexec)\.exe$`;

/** Windows servicing and update binaries that replace and delete system files for a living. */
const SERVICING = `${SYSTEM_DIR}(?:[^\\\\]+\\\\)*(?:tiworker|trustedinstaller|poqexec|dismhost|mousocoreworker|usocoreworker|wuauclt|sihclient|upfc|mrt|cleanmgr|defrag|sppsvc)\\.exe$`;

export const MAINTENANCE_ROWS: readonly KnowledgeRow[] = [
  {
    id: 'routine.servicing_file_change',
    title: 'Windows servicing changing files',
    signals: ['process.image'],
    pattern: linear(SERVICING),
    also: [
      {
        in: ['event.action'],
        re: linear(
          '^(?:file_create|file_delete|file_delete_detected|file_time_change|file_stream_create|registry_set|registry_create_delete|registry_rename)$',
        ),
      },
    ],
    weight: -1.5,
    why: 'the servicing stack and Windows Update replace, delete and register system files and keys as their job',
    // The "a file changed" claim of an integrity rule is what this row accounts for.
    explainsAway: ['kind.integrity'],
    group: 'endpoint.os_routine',
  },
  {
    id: 'routine.os_maintenance',
    title: 'OS maintenance started by a system service',
    signals: ['process.image'],
    pattern: linear(MAINTENANCE),
    also: [{ in: ['parent.image'], re: linear(`${SYSTEM_SERVICE_PARENT}|^system$`) }],
    // A copy of a maintenance name anywhere else is masquerading (locations.ts), not maintenance.
    unless: [{ in: ['process.image', 'parent.image'], re: linear(USER_WRITABLE) }],
    weight: -2.5,
    why: 'Windows Update, servicing, Defender, telemetry, indexing and disk maintenance run from their install folders under the service host, every day on every machine',
    group: 'endpoint.os_routine',
  },
  {
    id: 'routine.microsoft_signed_module',
    title: 'Microsoft-signed module loaded from its home folder',
    signals: ['file.signer'],
    pattern: linear('^microsoft (?:windows|corporation)(?: publisher| hardware compatibility publisher)?$'),
    also: [
      { in: ['file.signature_status'], re: linear('^valid$') },
      { in: ['file.path'], re: linear(`${SYSTEM_DIR}|${WINDOWS_DIR}(?:microsoft\\.net|assembly)\\\\`) },
      {
        in: ['process.image'],
        re: linear(`${SYSTEM_DIR}|${PROGRAM_FILES}|${WINDOWS_DIR}[^\\\\]+\\.exe$|${DEFENDER_DIR}`),
      },
    ],
    // What a script host or proxy-execution binary loads is the script's choice, not Windows'.
    unless: [{ in: ['process.image'], re: linear(SCRIPT_HOSTS) }],
    weight: -1.5,
    why: 'a module signed by Microsoft (signature verified by the sensor) loaded from System32 by an installed program is Windows working as shipped',
    group: 'endpoint.os_routine',
  },
  {
    id: 'routine.signed_driver',
    title: 'Driver signed by Microsoft or a hardware vendor',
    signals: ['file.signer'],
    pattern: linear(
      '^(?:microsoft windows(?: hardware compatibility publisher)?|microsoft corporation|intel corporation|advanced micro devices|nvidia corporation|realtek semiconductor corp\\.|vmware, inc\\.|oracle corporation|broadcom|qualcomm|dell inc|hp inc\\.|lenovo)\\b',
    ),
    also: [
      { in: ['file.signature_status'], re: linear('^valid$') },
      { in: ['event.action'], re: linear('^driver_load$') },
      { in: ['file.path'], re: linear(`${SYSTEM_DIR}(?:drivers|driverstore)\\\\`) },
    ],
    weight: -1.5,
    why: 'a driver loaded from the driver store with a valid vendor signature is hardware support, not a rootkit',
    group: 'endpoint.os_routine',
  },
  {
    id: 'routine.applocker_allowed',
    title: 'Application-control policy allowed the program',
    signals: ['source_verdict.action'],
    pattern: linear('^allowed$'),
    also: [{ in: ['event.channel', 'event.provider'], re: linear('applocker') }],
    weight: -1.5,
    why: 'AppLocker logged that its own policy allows this file: the event records permitted execution',
    group: 'endpoint.policy',
  },
  {
    id: 'routine.packaged_app',
    title: 'Packaged (Store/MSIX) app execution record',
    signals: ['event.channel'],
    pattern: linear('applocker/packaged app-execution$'),
    also: [{ in: ['source_verdict.action'], re: linear('^(?:allowed|audited)$') }],
    weight: -1,
    why: 'packaged apps are signed packages the AppX deployment service installs into the protected WindowsApps folder; AppLocker logs each start (in audit mode as "would have been prevented")',
    group: 'endpoint.policy',
  },
  {
    id: 'routine.service_logon',
    title: 'Service or system logon',
    signals: ['auth.logon_type'],
    pattern: linear('^(?:5|0)$'),
    also: [
      { in: ['event.id'], re: linear('^(?:4624|4634|4647)$') },
      { in: ['auth.outcome'], re: linear('^success$') },
    ],
    weight: -1.5,
    why: 'logon type 5 is the Service Control Manager starting a service under its account: it happens at every service start',
    group: 'auth.routine',
  },
  {
    id: 'routine.local_logon',
    title: 'Interactive, unlock or cached logon at the console',
    signals: ['auth.logon_type'],
    pattern: linear('^(?:2|7|11)$'),
    also: [
      { in: ['event.id'], re: linear('^4624$') },
      { in: ['auth.outcome'], re: linear('^success$') },
      { in: ['network.src_ip'], re: linear('^(?:127\\.0\\.0\\.1|::1|-)$') },
    ],
    weight: -1,
    why: 'a successful console, unlock or cached-credential logon from the machine itself is a user at the keyboard',
    group: 'auth.routine',
  },
  {
    id: 'routine.privileged_logon_record',
    title: 'Special privileges assigned at logon',
    signals: ['event.id'],
    pattern: linear('^4672$'),
    also: [{ in: ['event.channel', 'event.provider'], re: linear('^security$|security-auditing') }],
    weight: -1,
    why: 'Windows writes 4672 for every logon of an account holding admin rights, services and the machine account included: it records a privilege, not an action',
    group: 'auth.routine',
  },
  {
    id: 'routine.share_access',
    title: 'Network share accessed',
    signals: ['event.id'],
    // 5140 (a session to a share), not 5145 (each object in it: named pipes such as spoolss or
    // protected_storage are how exploits and credential theft reach a host over IPC$).
    pattern: linear('^5140$'),
    also: [{ in: ['event.channel', 'event.provider'], re: linear('^security$|security-auditing') }],
    // The share name is content, so it can only cancel the benign reading: administrative shares
    // are how tools reach other hosts. (An IPC$ session is every domain member's RPC; what flows
    // through it, the named pipes, is 5145.)
    unless: [{ in: ['file.path'], re: linear('(?:^|\\\\)(?:admin|[a-z])\\$$') }],
    weight: -1,
    why: 'domain members read SYSVOL, NETLOGON and file shares all day; the session record alone is routine',
    group: 'endpoint.os_routine',
  },
  {
    id: 'routine.admin_share_access',
    title: 'Administrative share accessed over the network',
    signals: ['file.path'],
    pattern: linear('(?:^|\\\\)(?:admin|[a-z])\\$$'),
    also: [{ in: ['event.id'], re: linear('^(?:5140|5145)$') }],
    weight: 1,
    mitre: ['T1021.002'],
    why: 'ADMIN$ and drive shares are how PsExec-style tools and ransomware reach other hosts (and how some admins work)',
  },
  {
    id: 'routine.log_cleared',
    title: 'Event log cleared',
    signals: ['event.id'],
    pattern: linear('^(?:104|1102)$'),
    also: [
      {
        in: ['event.channel', 'event.provider'],
        re: linear('^(?:system|security)$|eventlog|security-auditing'),
      },
    ],
    weight: 3,
    mitre: ['T1070.001'],
    why: 'clearing the Security or System log destroys the record of what happened; it is rarely part of administration',
    group: 'cmd.log_clearing',
  },
  {
    id: 'routine.rdp_internal',
    title: 'Remote Desktop logon from the internal network',
    signals: ['auth.logon_type'],
    pattern: linear('^10$'),
    also: [
      { in: ['event.id'], re: linear('^4624$') },
      { in: ['auth.outcome'], re: linear('^success$') },
      { in: ['network.src_ip'], re: linear('^(?:10\\.|192\\.168\\.|172\\.(?:1[6-9]|2\\d|3[01])\\.)') },
    ],
    weight: -1,
    why: 'administrators and users work over RDP inside the network every day; from the internet it would be another matter',
    group: 'auth.routine',
  },
  {
    id: 'routine.rdp_client',
    title: 'Remote Desktop client connecting',
    signals: ['event.id'],
    pattern: linear('^(?:1024|1102|1027|1029)$'),
    also: [{ in: ['event.channel', 'event.provider'], re: linear('terminalservices-rdpclient') }],
    weight: -1,
    why: 'the RDP client logs every connection a user opens with mstsc',
    group: 'auth.routine',
  },
  {
    id: 'routine.logoff',
    title: 'Logoff',
    signals: ['event.id'],
    pattern: linear('^(?:4634|4647|4779)$'),
    also: [{ in: ['event.channel', 'event.provider'], re: linear('^security$|security-auditing') }],
    weight: -1.5,
    why: 'a session ending is bookkeeping',
    group: 'auth.routine',
  },
  {
    id: 'routine.system_bookkeeping',
    title: 'Windows bookkeeping event',
    signals: ['event.id'],
    pattern: linear('^(?:1074|6005|6006|6009|6013|7036|7040|4902|4904|4905|5058|5059|5061|4826|4608)$'),
    also: [
      {
        in: ['event.channel', 'event.provider'],
        re: linear(
          '^(?:system|security)$|service control manager|eventlog|security-auditing|kernel-general|user32',
        ),
      },
    ],
    weight: -1,
    why: 'service state changes, planned shutdowns, uptime and key-storage events are Windows recording its own operation',
    group: 'endpoint.os_routine',
  },
];

/**
 * Verdicts the alert carries from antivirus engines. Counts of engines are measured by the
 * scanning product (metadata). The EICAR test file is a test only when the product named it:
 * "eicar" anywhere in event content is not a detection.
 */
export const AV_RESULTS: readonly KnowledgeRow[] = [
  {
    id: 'av.zero_detections',
    title: 'No antivirus engine detects the file',
    signals: ['source_verdict.av_detections'],
    pattern: linear('^0$'),
    also: [{ in: ['source_verdict.av_engines'], re: linear('^(?:[2-9]\\d|[1-9]\\d{2,})$') }],
    weight: -2,
    why: 'twenty or more engines scanned the file and none flags it: a known, clean file is by far the likeliest',
    group: 'av.result',
  },
  {
    id: 'av.few_detections',
    title: 'A few antivirus engines detect the file',
    signals: ['source_verdict.av_detections'],
    pattern: linear('^[12]$'),
    weight: 1.5,
    mitre: ['T1204.002'],
    why: 'one or two detections are often heuristics, but a file some engines flag deserves a look',
    group: 'av.result',
  },
  {
    id: 'av.many_detections',
    title: 'Many antivirus engines detect the file',
    signals: ['source_verdict.av_detections'],
    pattern: linear('^(?:[3-9]|[1-9]\\d+)$'),
    weight: 4.5,
    mitre: ['T1204.002'],
    why: 'three or more independent engines agreeing is malware',
    group: 'av.result',
    floor: 'High',
  },
  {
    id: 'av.eicar_test',
    title: 'Antivirus detected the EICAR test file',
    signals: ['source_verdict.threat_name'],
    pattern: linear('(?:^|[:/_.\\s-])eicar(?:[_.\\s-]|$)'),
    weight: -4,
    why: 'the product identified the standard EICAR anti-malware test string: someone is testing the antivirus',
    group: 'context.benign',
  },
  {
    id: 'av.threat_detected',
    title: 'Antivirus detected a threat',
    signals: ['source_verdict.threat_name'],
    pattern: linear(
      '^(?:trojan|backdoor|ransom|exploit|hacktool|virtool|pws|trojandownloader|trojandropper|behavior|worm|virus|spyware|rootkit)\\b|:(?:win32|win64|msil|powershell|vbs|js|html|script|linux|macos)/',
    ),
    unless: [{ in: ['source_verdict.threat_name'], re: linear('eicar') }],
    weight: 3.5,
    mitre: ['T1204.002'],
    why: 'the endpoint product named a malware family or hacking tool',
    group: 'av.result',
  },
];
