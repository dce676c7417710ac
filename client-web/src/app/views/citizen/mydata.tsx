// mydata.tsx - "Your data": the citizen's log report (who processed their data and to whom it
// was disclosed, printable), the export of every question decrypted in this browser, and
// rights requests with their decisions; a short list of contents links to the three parts.
import type { ThreadsController } from '../../citizen/contract';
import type { MyDataController } from '../../citizen/mydata-contract';
import type { ShellConnection } from '../../citizen/session';
import { t, type Lang } from '../../i18n';
import { Heading, type Navigate } from '../common';
import { ExportSection } from './mydata-export';
import { LogReportSection } from './mydata-report';
import { RightsSection } from './mydata-rights';
import './mydata.css';

function JumpLink({ to, children }: { to: string; children: string }) {
  return (
    <a
      href={`#${to}`}
      onClick={(e) => {
        e.preventDefault();
        const h = document.getElementById(to);
        h?.scrollIntoView({ block: 'start' });
        h?.focus();
      }}
    >
      {children}
    </a>
  );
}

export function MyDataPage(props: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController; mydata: MyDataController }) {
  const { lang, nav, conn, threads, mydata } = props;
  return (
    <>
      <div class="no-print">
        <Heading>{t(lang, 'mydata.title')}</Heading>
        <p>{t(lang, 'mydata.intro')}</p>
        <nav aria-label={t(lang, 'mydata.contents')} class="mydata-contents">
          <ul>
            <li>
              <JumpLink to="report-section-h">{t(lang, 'mydata.report.title')}</JumpLink>
            </li>
            <li>
              <JumpLink to="export-h">{t(lang, 'mydata.export.title')}</JumpLink>
            </li>
            <li>
              <JumpLink to="rights-h">{t(lang, 'mydata.rights.sectionTitle')}</JumpLink>
            </li>
          </ul>
        </nav>
      </div>
      <LogReportSection lang={lang} nav={nav} mydata={mydata} />
      <ExportSection lang={lang} mydata={mydata} />
      <RightsSection lang={lang} nav={nav} conn={conn} threads={threads} mydata={mydata} />
    </>
  );
}
