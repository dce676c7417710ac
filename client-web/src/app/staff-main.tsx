// staff-main.tsx - the entry of the staff page (/staff, build.mjs's second page): the staff
// auth controller in the browser looks for a session already there, and the staff shell renders
// into <div id="app">. The encryption module is loaded on the first login step.
import { render } from 'preact';
import { StaffApp } from './views/staff/app';
import { browserStaffAuth } from './staff/auth-browser';
import './app.css';
import './staff.css';

const auth = browserStaffAuth();
auth.start();
render(<StaffApp auth={auth} />, document.getElementById('app')!);
