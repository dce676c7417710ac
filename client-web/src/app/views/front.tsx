// front.tsx - the front page before login: what the service is for, who answers and when (each
// category's service hours and answer time, from GET /api/v1/service), that it is not for
// emergencies (112 and the social emergency number), the privacy notice and "Log in with bank
// ID". Logged in, the login gives way to the session line (the logged-in views come later).
// At the end, a discreet link to the staff login (/staff).
import { t, type Key, type Lang } from '../i18n';
import { formatDay, unbroken } from '../format';
import type { ServiceCategory, ServiceInfo } from '../service';
import type { Health } from '../session';
import { Heading, PageLink, type Navigate } from './common';

export type ServiceState = ServiceInfo | 'loading' | 'failed';

const HEALTH_TEXT: Record<Health, Key> = {
  checking: 'status.checking',
  up: 'status.up',
  down: 'status.down',
  unreachable: 'status.unreachable',
};

function roleText(lang: Lang, role: string): string {
  return role === 'citizen' ? t(lang, 'role.citizen') : role === 'worker' ? t(lang, 'role.worker') : role;
}

function Category({ lang, c }: { lang: Lang; c: ServiceCategory }) {
  return (
    <li>
      <h3>{c.name}</h3>
      <p>
        {t(lang, 'front.hours', { open: c.service_hours.open, close: c.service_hours.close })}.{' '}
        <strong class={c.open_now ? 'open' : 'closed'}>{t(lang, c.open_now ? 'front.openNow' : 'front.closedNow')}</strong>
      </p>
      <p>
        {t(lang, 'front.answerDays', { days: String(c.answer_days) })}
        {c.expected_by !== null && ' ' + t(lang, 'front.expected', { date: formatDay(c.expected_by, lang) })}
      </p>
    </li>
  );
}

function WhoAnswers({ lang, service }: { lang: Lang; service: ServiceState }) {
  if (service === 'loading') return <p>{t(lang, 'front.when.loading')}</p>;
  if (service === 'failed') return <p class="error">{t(lang, 'front.when.failed')}</p>;
  if (service.categories.length === 0) return <p>{t(lang, 'front.when.none')}</p>;
  return (
    <ul class="categories">
      {service.categories.map((c) => (
        <Category key={c.category} lang={lang} c={c} />
      ))}
    </ul>
  );
}

function Emergency({ lang, service }: { lang: Lang; service: ServiceState }) {
  const info = typeof service === 'object' ? service : null;
  return (
    <section class="emergency" aria-labelledby="emergency-h">
      <h2 id="emergency-h">{t(lang, 'front.emergency.h')}</h2>
      <p>{t(lang, 'front.emergency.slow')}</p>
      <p>
        <strong>{t(lang, 'front.emergency.call', { number: unbroken(info?.emergency_number ?? '112') })}</strong>
      </p>
      <p>
        {info?.social_emergency_number
          ? t(lang, 'front.emergency.social', { number: unbroken(info.social_emergency_number) })
          : t(lang, 'front.emergency.socialNone')}
      </p>
    </section>
  );
}

export function FrontPage(props: { lang: Lang; nav: Navigate; service: ServiceState; health: Health; role: string | null }) {
  const { lang, nav, service, health, role } = props;
  return (
    <>
      <Heading>{t(lang, 'app.title')}</Heading>
      <p class="lead">{t(lang, 'app.tagline')}</p>
      <p>{t(lang, 'front.what')}</p>
      <p>{t(lang, 'front.secret')}</p>
      <p id="status" role="status" class={health === 'up' || health === 'checking' ? '' : 'down'}>
        {t(lang, HEALTH_TEXT[health])}
      </p>
      {role !== null ? (
        <p id="session" role="status">
          {t(lang, 'session.loggedIn', { role: roleText(lang, role) })}
        </p>
      ) : (
        <section class="login" aria-labelledby="login-h">
          <h2 id="login-h" class="visually-hidden">
            {t(lang, 'front.login.h')}
          </h2>
          <p>
            <a class="button" href="/api/v1/auth/bank/start">
              {t(lang, 'login.bank')}
            </a>
          </p>
          <p class="small">{t(lang, 'login.why')}</p>
        </section>
      )}
      <Emergency lang={lang} service={service} />
      <section aria-labelledby="when-h">
        <h2 id="when-h">{t(lang, 'front.when.h')}</h2>
        <WhoAnswers lang={lang} service={service} />
      </section>
      <section aria-labelledby="data-h">
        <h2 id="data-h">{t(lang, 'front.data.h')}</h2>
        <p>{t(lang, 'front.data.text')}</p>
        <p>
          <PageLink to="privacy" nav={nav}>
            {t(lang, 'front.data.link')}
          </PageLink>
        </p>
      </section>
      <p class="small">
        <a href="/staff">{t(lang, 'staffLogin.link')}</a>
      </p>
    </>
  );
}
