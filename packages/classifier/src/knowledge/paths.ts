/**
 * Pattern fragments shared by the knowledge tables, written for lower-cased values (SignalView
 * lower-cases every value). Windows paths use `\\`; each fragment is a group, safe to embed.
 */

/** Where Windows keeps its own binaries: System32, SysWOW64, the component store, servicing. */
export const SYSTEM_DIR = String.raw`(?:^|\\\\\?\\)[a-z]:\\windows\\(?:system32|syswow64|sysnative|winsxs|servicing)\\`;

/** Windows directory itself (explorer.exe, hh.exe, regedit.exe live there). */
export const WINDOWS_DIR = String.raw`^[a-z]:\\windows\\`;

/** Installed software. */
export const PROGRAM_FILES = String.raw`^[a-z]:\\program files(?: \(x86\))?\\`;

/** Defender's platform binaries (versioned under ProgramData) and their older Program Files home. */
export const DEFENDER_DIR = String.raw`^[a-z]:\\(?:programdata\\microsoft\\windows defender\\platform\\|program files(?: \(x86\))?\\windows defender\\)`;

/**
 * Folders any user (or any process running as one) can write to: user profiles' data folders,
 * Public, temp folders, the recycle bin, PerfLogs, the writable folders under \Windows, and
 * files dropped straight into a drive root or ProgramData root. Software installs elsewhere.
 */
export const USER_WRITABLE = String.raw`(?:\\users\\[^\\]+\\(?:appdata|downloads|desktop|documents|music|pictures|videos|favorites|contacts|links|searches|saved games|onedrive[^\\]*)\\|\\users\\public\\|\\users\\[^\\]+\\[^\\]+\.(?:exe|dll|scr|bat|cmd|ps1|vbs|js|hta)$|\\windows\\(?:temp|tasks|tracing|debug|registration\\crmlog|system32\\tasks|fonts)\\|\\perflogs\\|\\\$recycle\.bin\\|\\recycler|\\temp\\|\\tmp\\|^[a-z]:\\programdata\\[^\\]+$|^[a-z]:\\[^\\]+$|^\\\\[^\\]+\\|^/tmp/|^/dev/shm/|^/var/tmp/)`;

/** Command shells and script hosts: what a document or a web server should never start. */
export const SHELL_OR_SCRIPT_HOST = String.raw`\\(?:cmd|powershell|pwsh|powershell_ise|wscript|cscript|mshta|scrcons|bash|wsl|sh)\.exe$`;

/** Binaries an intrusion uses to download, proxy-execute or persist (LOLBAS). */
export const LOLBIN = String.raw`\\(?:rundll32|regsvr32|certutil|bitsadmin|schtasks|wmic|msbuild|installutil|regasm|regsvcs|msiexec|curl|hh|forfiles|cmstp|msdt|msxsl|odbcconf|pcalua|mavinject|control|esentutl|expand|extrac32|findstr|ftp|ieexec|infdefaultinstall|msconfig|presentationhost|reg|replace|sc|xwizard|bash|certreq|desktopimgdownldr|finger|wsl|net|net1|nltest|whoami)\.exe$`;

/** Office and document applications (macro and exploit delivery). */
export const OFFICE_APP = String.raw`\\(?:winword|excel|powerpnt|outlook|msaccess|mspub|onenote|onenotem|visio|wordpad|eqnedt32|fltldr|wwahost)\.exe$`;

/** Web browsers. */
export const BROWSER = String.raw`\\(?:chrome|msedge|firefox|iexplore|opera|brave|vivaldi)\.exe$`;

/** PDF readers. */
export const PDF_READER = String.raw`\\(?:acrord32|acrobat|acrocef|foxitreader|foxitpdfreader|foxitphantompdf|sumatrapdf|nitropdf)\.exe$`;

/** Server processes that run requests from the network (a shell child is a webshell or RCE). */
export const SERVER_PROCESS = String.raw`(?:\\(?:w3wp|httpd|nginx|tomcat\d*|tomcat\d*w|php-cgi|sqlservr|umworkerprocess|ws_tomcatservice|beasvc|coldfusion|jrun)\.exe$|^/usr/s?bin/(?:apache2|httpd|nginx|php-fpm[\d.]*|lighttpd)$)`;

/** Unix shells and interpreters a web server should not start. */
export const UNIX_SHELL = String.raw`^/(?:usr/)?s?bin/(?:sh|bash|dash|zsh|ksh|python[\d.]*|perl|ruby|nc|ncat|netcat|socat|curl|wget|telnet)$`;

/** Windows process names that belong to the OS and live in System32 (or SysWOW64). */
export const SYSTEM_PROCESS_NAME = String.raw`\\(?:svchost|lsass|csrss|smss|services|winlogon|wininit|spoolsv|taskhost|taskhostw|lsm|lsaiso|dllhost|conhost|rundll32|regsvr32|sihost|ctfmon|runtimebroker|searchindexer|searchprotocolhost|wuauclt|werfault|wermgr|dwm|fontdrvhost|audiodg|taskmgr|cmd|powershell|certutil|bitsadmin|schtasks|mshta|wscript|cscript|msiexec|wmiprvse|consent|userinit|logonui|smartscreen|backgroundtaskhost|tiworker|trustedinstaller|mpcmdrun|msmpeng|net|net1|reg|sc|whoami|nltest|tasklist|taskkill|vssadmin|wbadmin|bcdedit|wevtutil|mmc|spoolsv|lpremove|sdclt|msdt)\.exe$`;

/**
 * The narrow part of USER_WRITABLE where software is almost never installed but droppers stage:
 * Public, temp folders, the recycle bin, PerfLogs, writable folders under \Windows, drive and
 * ProgramData roots. (AppData and Downloads hold per-user installs and installers: not here.)
 */
export const STAGING_DIR = String.raw`(?:\\users\\public\\|\\windows\\(?:temp|tasks|tracing|debug|registration\\crmlog|system32\\tasks|fonts)\\|\\appdata\\local\\temp\\[^\\]+$|\\perflogs\\|\\\$recycle\.bin\\|\\recycler|^[a-z]:\\programdata\\[^\\]+$|^[a-z]:\\[^\\]+$|^[a-z]:\\(?:temp|tmp)\\|^\\\\[^\\]+\\|^/tmp/|^/dev/shm/|^/var/tmp/)`;
